"""The arrays of an uncompressed ``.npz`` memory-mapped instead of read.

``np.load`` of an ``.npz`` copies every array it is asked for into memory: 0.1 s and 160 MB for
the postings of 100,000 passages, before a one-question ``ask`` uses a few of their pages. A build
writes the file with ``np.savez`` (members stored, not deflated), so each member is a plain ``.npy``
at some offset of the file, and ``np.memmap`` can serve it as it stands: pages are read when a
question touches them, and processes serving one index share them through the page cache.
Members that are compressed, or headers that do not add up, are read the ordinary way.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"


def load_arrays(path: Path, names: Iterable[str]) -> dict[str, np.ndarray]:
    """The named arrays of the ``.npz`` at ``path`` that it holds (read-only), mapped where they can
    be. Raises what ``zipfile`` and ``numpy`` raise for a damaged file."""
    wanted = set(names)
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as handle:
        members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
        unmapped = []
        for name in sorted(wanted & members.keys()):
            mapped = _map_member(path, handle, members[name])
            if mapped is None:
                unmapped.append(name)
            else:
                arrays[name] = mapped
    if unmapped:
        with np.load(path, allow_pickle=False) as npz:
            for name in unmapped:
                arrays[name] = npz[name]
                arrays[name].flags.writeable = False
    return arrays


def _map_member(path: Path, handle: BinaryIO, info: zipfile.ZipInfo) -> np.ndarray | None:
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:  # deflated or encrypted
        return None
    handle.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
    if signature != _LOCAL_SIGNATURE:
        return None
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    handle.seek(start)
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
    else:
        return None
    offset = handle.tell()
    count = int(np.prod(shape, dtype=np.int64))
    if dtype.hasobject or offset - start + count * dtype.itemsize != info.file_size:
        return None
    if count == 0:
        empty = np.empty(shape, dtype=dtype)
        empty.flags.writeable = False
        return empty
    mapped = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")
    return mapped.view(np.ndarray)  # a plain (read-only) array over the map: slices stay plain arrays
