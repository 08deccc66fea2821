"""Start tags and chosen attribute values of a whole XML document in one compiled pass.

The readers of large SUMO files (:mod:`signalbrain.io._sumo_net_scan`) use this instead of
:mod:`xml.parsers.expat` when the compiled scanner (:mod:`signalbrain.io._xml_kernels`) is
built ahead of time. Why: on a 1,296-signal netgenerate grid (15 MB, 143,000 elements) expat
costs 0.24 s even with a start handler that does nothing (0.12 s parsing, the rest building an
attribute dict per element and calling Python), while the kernel tokenises the file in about
0.025 s and leaves the values as byte spans, so the reader decodes only the attributes it uses,
column by column. In JIT mode (no extension) the scanner is not used: importing numba alone
costs more than expat's pass.

The scanner answers ``None`` wherever expat must read the file instead: constructs it does not
decode (character references, DTDs, CDATA), files it finds malformed (expat then words the
error), encodings other than UTF-8.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

__all__ = ["Scanned", "Schema", "available", "read_all", "scan_tags"]

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8 = frozenset((b"utf-8", b"utf8", b"us-ascii", b"ascii"))
MAX_BYTES = 2**31 - 1
"""Largest document the scanner reads (its spans are int32); expat reads larger ones."""


@dataclass(frozen=True)
class Schema:
    """The tags of interest and, per tag, the attributes whose values are wanted."""

    tags: tuple[tuple[str, tuple[str, ...]], ...]
    code: dict[str, int] = field(init=False, compare=False, repr=False)
    slot: dict[tuple[str, str], int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", {t: i for i, (t, _) in enumerate(self.tags)})
        object.__setattr__(
            self,
            "slot",
            {(t, a): k for t, attrs in self.tags for k, a in enumerate(attrs)},
        )

    @cached_property
    def arrays(self) -> tuple[npt.NDArray[Any], ...]:
        """``names, tag_ptr, attr_ptr, tag_attr_ptr`` as the kernel takes them."""
        names = bytearray()
        tag_ptr = [0]
        for tag, _ in self.tags:
            names += tag.encode()
            tag_ptr.append(len(names))
        attr_ptr = [len(names)]
        tag_attr_ptr = [0]
        for _, attrs in self.tags:
            for attr in attrs:
                names += attr.encode()
                attr_ptr.append(len(names))
            tag_attr_ptr.append(tag_attr_ptr[-1] + len(attrs))
        return (
            np.frombuffer(bytes(names), dtype=np.uint8).copy(),
            np.array(tag_ptr, dtype=np.int64),
            np.array(attr_ptr, dtype=np.int64),
            np.array(tag_attr_ptr, dtype=np.int64),
        )

    @property
    def width(self) -> int:
        """Value columns of the span table (two per slot of the widest tag)."""
        return 2 * max((len(a) for _, a in self.tags), default=0) or 2


@dataclass(frozen=True)
class Scanned:
    """The start tags of a document: ``tag[i]`` is the schema code of the ``i``-th start tag
    (-1: a tag not in the schema), ``depth[i]`` its depth (the root: 0), ``span[i]`` its value
    spans (-1: absent)."""

    schema: Schema
    data: bytearray
    tag: npt.NDArray[np.int32]
    depth: npt.NDArray[np.int32]
    span: npt.NDArray[np.int32]
    text: str | None
    """The document as text when it is pure ASCII (byte and character offsets agree)."""

    def rows(self, tag: str) -> npt.NDArray[np.intp]:
        """Indices of the start tags named ``tag``, in document order."""
        return np.flatnonzero(self.tag == self.schema.code[tag])

    def _spans(
        self, rows: npt.NDArray[np.intp], tag: str, attr: str
    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        k = 2 * self.schema.slot[(tag, attr)]
        return self.span[rows, k], self.span[rows, k + 1]

    def _values(self, starts: list[int], ends: list[int]) -> list[str]:
        source: str | bytearray = self.data if self.text is None else self.text
        # slices made and taken at C speed (a list comprehension costs twice as much)
        out: list[Any] = list(map(source.__getitem__, map(slice, starts, ends)))
        if self.text is None:
            out = [v.decode() for v in out]
        return out

    def column(
        self,
        rows: npt.NDArray[np.intp],
        tag: str,
        attr: str,
        default: Any = None,
        *,
        repeated: bool = False,
    ) -> list[Any]:
        """The attribute's value (``str``) on each of ``rows``, ``default`` where absent.

        ``repeated``: the column holds few distinct values (SUMO's lane speeds, turn directions,
        request rows, ...): each is decoded once (:meth:`codes`) and rows share the string,
        about three times as fast on such a column."""
        if repeated:
            values, ids = self.codes(rows, tag, attr)
            values.append(default)  # number -1: absent
            return list(map(values.__getitem__, ids.tolist()))
        starts, ends = self._spans(rows, tag, attr)
        absent = np.flatnonzero(starts < 0).tolist()
        out = self._values(starts.tolist(), ends.tolist())
        for i in absent:
            out[i] = default
        return out

    def codes(
        self, rows: npt.NDArray[np.intp], tag: str, attr: str
    ) -> tuple[list[str], npt.NDArray[np.int64]]:
        """The attribute's distinct values on ``rows`` in order of first appearance, and each
        row's number among them (-1 where absent)."""
        from signalbrain.io._xml_kernels import intern_spans_kernel

        spans = self._spans(rows, tag, attr)
        starts, ends = (np.ascontiguousarray(x, dtype=np.int64) for x in spans)
        ids = np.empty(starts.size, dtype=np.int64)
        first = np.empty(starts.size, dtype=np.int64)
        buf = np.frombuffer(self.data, dtype=np.uint8)
        count = int(intern_spans_kernel(buf, starts, ends, ids, first))
        at = first[:count]
        return self._values(starts[at].tolist(), ends[at].tolist()), ids


def read_all(fh: BinaryIO) -> bytearray:
    """The rest of an open binary file as one ``bytearray`` (the buffer :func:`scan_tags`
    takes).

    A plain file is read straight into a buffer of its size: ``bytearray(fh.read())`` would make
    a ``bytes`` object first and copy it, 15 MB more to allocate, fault in and copy for a
    1,300-signal network (5-10 ms of CPU). Anything else (a gzip stream) is read whole."""
    if not isinstance(fh, (io.BufferedReader, io.FileIO)):
        return bytearray(fh.read())
    data = bytearray(max(os.fstat(fh.fileno()).st_size - fh.tell(), 0))
    got = 0
    with memoryview(data) as view:
        while got < len(data):
            n = fh.readinto(view[got:])
            if not n:
                break
            got += n
    del data[got:]  # the file shrank meanwhile
    data += fh.read()  # or grew
    return data


def available() -> bool:
    """Whether the compiled scanner is built ahead of time (and so cheaper than expat)."""
    from signalbrain.timing._compiled import load_aot

    return load_aot() is not None


def scan_tags(data: bytearray, schema: Schema, *, compiled_only: bool = True) -> Scanned | None:
    """Scan a whole document held in ``data``; None where expat must read it instead.

    ``compiled_only``: None when the scanner is not built ahead of time (in JIT mode importing
    numba costs more than expat's pass); tests pass False to run the JIT kernel."""
    if compiled_only and not available():
        return None
    if data[:3] == b"\xef\xbb\xbf":  # a UTF-8 byte order mark (Windows editors write one)
        data = data[3:]
    if len(data) >= MAX_BYTES:
        return None  # offsets would not fit the span table's int32
    declared = _DECLARED.match(bytes(data[:200]))
    if declared is not None and declared.group(1).lower() not in _UTF8:
        return None
    from signalbrain.io._xml_kernels import count_byte_kernel, scan_tags_kernel

    buf = np.frombuffer(data, dtype=np.uint8)
    n_max = int(count_byte_kernel(buf, ord("<")))
    tag = np.empty(n_max, dtype=np.int32)
    depth = np.empty(n_max, dtype=np.int32)
    # int32 offsets: half the memory of int64 (8 bytes per attribute slot and start tag)
    span = np.empty((n_max, schema.width), dtype=np.int32)
    count = int(scan_tags_kernel(buf, *schema.arrays, tag, depth, span))
    if count < 0:
        return None
    try:
        text: str | None = data.decode("ascii")
    except UnicodeDecodeError:
        text = None
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None  # not UTF-8: expat reports where
    return Scanned(schema, data, tag[:count], depth[:count], span[:count], text)
