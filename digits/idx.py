"""The idx file format of MNIST, read and written with numpy (gzip-compressed or plain).

Header: two zero bytes, a type code, the number of dimensions, then one big-endian uint32 per
dimension; the data follow in C order.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from core.errors import DataError

_TYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def read_idx(path: Path) -> np.ndarray:
    """The array stored in an idx file (``.gz`` is decompressed on the fly)."""
    path = Path(path)
    try:
        with _open(path) as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise DataError(f"{path}: not an idx file (bad magic number)")
    dtype, ndim = np.dtype(_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated idx header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path}: idx data has {len(raw) - header} bytes, the header promises {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8 or int8) as an idx file, gzip-compressed when the name ends in ``.gz``."""
    array = np.ascontiguousarray(array)
    code = _CODES.get(array.dtype)
    if code is None:
        raise ValueError(f"write_idx supports uint8 and int8, not {array.dtype}")
    data = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def load_mnist(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST ``split`` ("train" or "test") from ``folder``: uint8 images (N, 28, 28) and labels (N,)."""
    images_name, labels_name = MNIST_FILES[split]
    for name in (images_name, labels_name):
        if not (Path(folder) / name).is_file():
            raise DataError(f"{Path(folder) / name} is missing: run `couplet digits fetch`")
    images, labels = read_idx(Path(folder) / images_name), read_idx(Path(folder) / labels_name)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"MNIST {split}: images {images.shape} and labels {labels.shape} do not match")
    return images.astype(np.uint8), labels.astype(np.int64)
