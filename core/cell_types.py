"""What each class is to a clinic: the white cells of the differential count (in the order clinics
report them), nucleated red cells, platelets. Written into every model's metadata.json, so the
page reads it instead of knowing class names itself."""

# The five-part differential, then immature granulocytes: the order on every clinical report.
WHITE_CELL_ORDER = ("NEUTROPHIL", "LYMPHOCYTE", "MONOCYTE", "EOSINOPHIL", "BASOPHIL", "IG")
NUCLEATED_RED_CELLS = ("ERYTHROBLAST",)
PLATELETS = ("PLATELET",)


def cell_types(classes: list) -> dict:
    """Which of a model's classes are white cells (clinical order; classes this file does not name are
    counted as white cells after the known ones), nucleated red cells and platelets."""
    known = [name for name in WHITE_CELL_ORDER if name in classes]
    others = sorted(set(classes) - set(WHITE_CELL_ORDER) - set(NUCLEATED_RED_CELLS) - set(PLATELETS))
    return {"white_cells": known + others,
            "nucleated_red_cells": [name for name in NUCLEATED_RED_CELLS if name in classes],
            "platelets": [name for name in PLATELETS if name in classes]}
