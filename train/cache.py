"""Preprocessed images kept on disk, so the next run (or the next candidate recipe) skips decoding.

Decoding, finding the cell and resizing tens of thousands of photos takes minutes; a recipe search
repeats it for every candidate. The arrays are stored under CACHE_DIR by a key that hashes what
they depend on: the kind of array, the preprocessing spec, and every file's path, size and
modification time (for a row of an HDF5 file, also which row), so a changed photo, file or setting
is read afresh and a stale array is never used.
Work is spread over the machine's cores.
"""
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
from numpy.lib.format import open_memmap

from core.files import atomic_path, read_json, write_json
from core.preprocess import ImageReadError

CHUNK = 32
# Rows copied at a time when a cache file is shrunk to its readable files.
CHUNK_ROWS = 1024


def cache_key(kind: str, paths: list, spec: dict) -> str:
    digest = hashlib.sha256(json.dumps([kind, spec], sort_keys=True).encode())
    for path in paths:
        digest.update(f"{fingerprint(path)}\n".encode())
    return digest.hexdigest()[:24]


def fingerprint(image) -> str:
    """What an image's pixels depend on: an image file's resolved path, size and modification time;
    an image that names its own (an HDF5 row: core/h5data.H5Row) adds which row of its file it is."""
    if hasattr(image, "fingerprint"):
        return image.fingerprint()
    stat = os.stat(image)
    return f"{Path(image).resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"


def read_one(path, spec: dict, reader):
    try:
        return reader(path, spec), None
    except ImageReadError as error:
        return None, error.reason


def read_all(paths: list, spec: dict, reader, label: str, target: Path) -> tuple:
    """Write what reader makes of each readable file into the .npy file `target`, row by row (so a
    dataset larger than memory is never held whole); returns (indices kept, [(path, reason)] skipped)."""
    rows, kept, skipped = None, [], []
    workers = max(1, min(os.cpu_count() or 1, len(paths) // CHUNK))
    work = partial(read_one, spec=spec, reader=reader)
    with atomic_path(target) as temporary:
        # spawn: the workers must not inherit TensorFlow's threads from this process.
        with multiprocessing.get_context("spawn").Pool(workers) if workers > 1 else _Serial() as pool:
            for index, (array, reason) in enumerate(pool.imap(work, paths, chunksize=CHUNK)):
                if array is None:
                    skipped.append((str(paths[index]), reason))
                else:
                    if rows is None:
                        rows = open_memmap(temporary, "w+", array.dtype, (len(paths), *array.shape))
                    rows[len(kept)] = array
                    kept.append(index)
                if index + 1 == len(paths) or (index + 1) % 2000 == 0:
                    print(f"  {label}: {index + 1}/{len(paths)} images", file=sys.stderr, flush=True)
        if rows is None:
            raise NothingRead(skipped)
        rows.flush()
        if len(kept) < len(paths):
            shrink(rows, len(kept), temporary)
        del rows
    return kept, skipped


class NothingRead(Exception):
    """No file could be read: there is no array to cache. args[0]: [(path, reason)] for every file."""


def shrink(rows, count: int, path: Path) -> None:
    """Keep the first `count` rows of the memory-mapped .npy at path (its readable files)."""
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as handle:
        smaller = open_memmap(handle.name, "w+", rows.dtype, (count, *rows.shape[1:]))
        for first in range(0, count, CHUNK_ROWS):
            smaller[first:first + CHUNK_ROWS] = rows[first:min(count, first + CHUNK_ROWS)]
        smaller.flush()
        del smaller
    os.replace(handle.name, path)


class _Serial:
    """A pool of one: the current process, for small jobs that do not repay starting workers."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    @staticmethod
    def imap(function, items, chunksize=1):
        return map(function, items)


def cached(cache_dir: Path, kind: str, paths: list, spec: dict, reader, label: str) -> tuple:
    """(memory-mapped array of what reader made of each readable file, indices kept, [(path, reason)]
    skipped), read from CACHE_DIR when the same files were read with the same spec before."""
    if not paths:
        return None, [], []
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    key = cache_key(kind, paths, spec)
    arrays_file, facts_file = folder / f"{kind}-{key}.npy", folder / f"{kind}-{key}.json"
    if not (arrays_file.exists() and facts_file.exists()):
        try:
            kept, skipped = read_all(paths, spec, reader, label, arrays_file)
        except NothingRead as nothing:
            return None, [], nothing.args[0]
        write_json(facts_file, {"kept": kept, "skipped": skipped, "files": len(paths)})
    facts = read_json(facts_file, "cache facts")
    return np.load(arrays_file, mmap_mode="r"), facts["kept"], [tuple(item) for item in facts["skipped"]]


def cached_value(cache_dir: Path, kind: str, paths: list, spec: dict, compute):
    """compute()'s JSON-able result, from CACHE_DIR when the same files and spec gave it before."""
    facts_file = Path(cache_dir) / f"{kind}-{cache_key(kind, paths, spec)}.json"
    if facts_file.exists():
        return read_json(facts_file, "cache facts")["value"]
    value = compute()
    write_json(facts_file, {"value": value})
    return value
