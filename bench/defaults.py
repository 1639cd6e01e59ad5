"""The command line's defaults, in a module that imports nothing heavy, so `python -m bench --help` stays instant."""

# The model compared with: the 4-class model trained on blood-cells alone, shipped before models learnt
# from several labs (REV:PATH in this repository's history).
PREVIOUS_MODEL = "004ac9f:web/models/leukolens-cnn/454dd6a6ca4c"
# A quick run reads a source's TEST_SIMPLE (the unseen smears themselves, few) whole; a source without
# one gets this many of its TEST photos, spread over its classes: seconds, not minutes.
QUICK_SAMPLE = 40
