"""The command line's defaults, in a module that imports nothing heavy, so `python -m bench --help` stays instant."""

# The model compared with: the 4-class model trained on blood-cells alone, shipped before models learnt
# from several labs (REV:PATH in this repository's history).
PREVIOUS_MODEL = "004ac9f:web/models/leukolens-cnn/454dd6a6ca4c"
# A quick run reads a source's TEST_SIMPLE (the unseen smears themselves, few) whole; a source without
# one gets this many of its TEST photos, spread over its classes: seconds, not minutes.
QUICK_SAMPLE = 40
# Whole fields of four labs with every white cell boxed (Pascal VOC), under ../shared/data: cell finding and
# the label-free checks are measured on each.
FIELD_SETS = ("bccd-smears", "deepbionet-fields", "raabin-fields", "bcd-fields")
# The labs whose fields have no white-cell classes: the label-free checks say how the model names their cells.
LABEL_FREE_SETS = ("deepbionet-fields", "raabin-fields", "bcd-fields")
# tecom: a lab no model here is trained on (validation only), scored as the page would score it.
TECOM = "tecom"
# The robustness table: this many TEST photos of each source (a seeded sample), under each controlled change.
ROBUSTNESS_SOURCES = ("pbc", "blood-cells")
ROBUSTNESS_SAMPLE = {"full": 300, "quick": 24}
