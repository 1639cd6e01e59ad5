"""Image arrays that stay on disk: training reads the rows of each batch, not the whole dataset.

The preprocessing cache (train/cache.py) stores every source's crops as .npy files and opens them
memory-mapped, so a dataset larger than memory trains in bounded memory: the operating system pages
in the rows a batch draws and drops them again. `Rows` reads several such arrays (one per source) as
one, without concatenating them into memory.
"""
import numpy as np

CHUNK = 512


class Rows:
    def __init__(self, parts: list):
        self.parts = list(parts)
        self.starts = np.cumsum([0] + [len(part) for part in self.parts])

    def __len__(self) -> int:
        return int(self.starts[-1])

    @property
    def shape(self) -> tuple:
        return (len(self), *self.parts[0].shape[1:])

    @property
    def dtype(self):
        return self.parts[0].dtype

    def __getitem__(self, index) -> np.ndarray:
        """The rows at `index` (an array of row numbers, or a slice), in that order, in memory."""
        rows = np.arange(len(self))[index] if isinstance(index, slice) else np.asarray(index)
        part_of = np.searchsorted(self.starts, rows, side="right") - 1
        out = np.empty((len(rows), *self.shape[1:]), self.dtype)
        for number, part in enumerate(self.parts):
            chosen = part_of == number
            if chosen.any():
                out[chosen] = part[rows[chosen] - self.starts[number]]
        return out


def chunks(images, size: int = CHUNK):
    """Consecutive in-memory slices of `images` (an array, a memory map or Rows)."""
    for first in range(0, len(images), size):
        yield np.asarray(images[first:first + size])
