"""Training data that stays on disk: the cache writes and opens memory maps; Rows reads several as one."""
import numpy as np
import pytest
from PIL import Image

from train.cache import cached
from train.rows import Rows, chunks


def test_rows_read_like_the_concatenated_arrays():
    rng = np.random.default_rng(0)
    parts = [rng.integers(0, 255, (n, 4, 4, 3), dtype=np.uint8) for n in (5, 1, 9)]
    whole, rows = np.concatenate(parts), Rows(parts)
    assert rows.shape == whole.shape and rows.dtype == whole.dtype and len(rows) == 15
    for index in (np.array([0, 4, 5, 6, 14]), rng.integers(0, 15, 40), np.array([], dtype=int)):
        np.testing.assert_array_equal(rows[index], whole[index])
    np.testing.assert_array_equal(rows[3:11], whole[3:11])
    np.testing.assert_array_equal(np.concatenate(list(chunks(rows, 4))), whole)


def shade(path, spec):
    """A stand-in preprocessing: the photo's pixels as float32."""
    return np.asarray(Image.open(path), np.float32)


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    paths = []
    for number in range(7):
        path = folder / f"{number}.png"
        Image.fromarray(np.full((6, 5, 3), number * 30, np.uint8)).save(path)
        paths.append(path)
    return paths


def test_the_cache_writes_rows_to_disk_and_opens_them_memory_mapped(photos, tmp_path):
    arrays, kept, skipped = cached(tmp_path / "cache", "inputs", photos, {"s": 1}, shade, "test")
    assert isinstance(arrays, np.memmap) and kept == list(range(7)) and skipped == []
    np.testing.assert_array_equal(arrays[:, 0, 0, 0], np.arange(7) * 30)
    again, _, _ = cached(tmp_path / "cache", "inputs", photos, {"s": 1}, shade, "test")
    np.testing.assert_array_equal(again, arrays)


def test_unreadable_files_leave_no_gap_in_the_cached_rows(photos, tmp_path):
    photos[2].write_bytes(b"not an image")
    photos[5].write_bytes(b"")

    def read(path, spec):
        from core.preprocess import load_rgb

        return load_rgb(path).astype(np.float32)

    arrays, kept, skipped = cached(tmp_path / "cache", "inputs", photos, {}, read, "test")
    assert kept == [0, 1, 3, 4, 6] and [p for p, _ in skipped] == [str(photos[2]), str(photos[5])]
    assert arrays.shape == (5, 6, 5, 3)
    np.testing.assert_array_equal(arrays[:, 0, 0, 0], [0, 30, 90, 120, 180])


def test_nothing_readable_caches_nothing(photos, tmp_path):
    for path in photos:
        path.write_bytes(b"")

    def read(path, spec):
        from core.preprocess import load_rgb

        return load_rgb(path)

    arrays, kept, skipped = cached(tmp_path / "cache", "inputs", photos, {}, read, "test")
    assert arrays is None and kept == [] and len(skipped) == 7
    assert not list((tmp_path / "cache").glob("*.npy"))
