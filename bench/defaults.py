"""The command line's defaults, in a module that imports nothing heavy, so `python -m bench --help` stays instant."""

# The model compared with: the 8-class model shipped before the page learnt to travel to other labs
# (no colour constancy, fixed smear check), so that the bench says what that work changed (REV:PATH
# in this repository's history).
PREVIOUS_MODEL = "edaf301:web/models/leukolens-cnn/b0277e089ad2"
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
