"""Whole fields with boxed white cells (core/annotated_fields.py): which box a found cell is, a cell boxed
twice, a box on the photo's edge."""
import pytest

from core.annotated_fields import assign, overlap, touches_edge, white_cell_boxes


def test_a_found_centre_matches_the_nearest_free_box():
    boxes = [(0, 0, 100, 100), (50, 50, 150, 150)]
    assert assign([(60, 60), (90, 90), (140, 140)], boxes) == [0, 1, None]


def test_a_cell_boxed_twice_counts_once(tmp_path):
    annotation = tmp_path / "field.xml"
    boxes = [(10, 10, 60, 60), (12, 11, 62, 58), (40, 40, 90, 90)]  # the first two outline one cell
    objects = "".join(f"<object><name>WBC</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax>"
                      f"<ymax>{d}</ymax></bndbox></object>" for a, b, c, d in boxes)
    annotation.write_text(f"<annotation>{objects}<object><name>RBC</name></object></annotation>")
    assert white_cell_boxes(annotation) == [boxes[0], boxes[2]]
    assert overlap(boxes[0], boxes[2]) == pytest.approx(400 / 4600)


def test_a_box_at_the_photos_edge_is_not_a_whole_cell():
    assert touches_edge((0, 30, 20, 60), (100, 200))
    assert touches_edge((150, 30, 199, 60), (100, 200))
    assert not touches_edge((10, 10, 60, 60), (100, 200))
