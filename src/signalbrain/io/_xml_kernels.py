# mypy: allow-untyped-defs
"""numba kernels on the bytes of an XML document: the compiled half of
:mod:`signalbrain.io._xml_scan`. :func:`scan_tags_kernel` tokenises the start tags;
:func:`intern_spans_kernel` numbers the distinct values of an attribute (a column of SUMO's
files repeats a handful of values thousands of times: each is decoded once);
:func:`token_ids_kernel` numbers the names in white-space separated lists (route edges) against
known names, without making a string of each.

Plain Python marked ``@kernel``, compiled in place by the last line as the timing kernels are
(:func:`signalbrain.timing._compiled.compile_kernels`: ahead of time into the same extension,
numba JIT otherwise). The scanner's test oracle is :mod:`xml.parsers.expat`: it must report every
start tag and attribute value expat reports, or give up; the other two are tested against
Python's strings (``str.split``, dicts).

The scanner understands the XML that SUMO and other tools write: an optional declaration and
processing instructions, comments, elements with single- or double-quoted attributes, text. It
does not decode anything: values are byte spans of the buffer. It gives up (returns
:data:`UNSUPPORTED`) where a value would need decoding or normalising (``&`` references, tabs
and line breaks inside values) and on document type declarations and CDATA sections, and
reports :data:`MALFORMED` on what expat would reject among the things it checks (unbalanced or
mismatched tags, a second root, text outside the root, names, broken or duplicate attributes);
the caller then runs expat, which reads the former and words the error of the latter.
"""

from __future__ import annotations

import numpy as np

from signalbrain.timing._compiled import compile_kernels, kernel

__all__ = [
    "MALFORMED",
    "MAX_ATTRS",
    "MAX_DEPTH",
    "OVERFLOW",
    "UNSUPPORTED",
    "count_byte_kernel",
    "intern_spans_kernel",
    "scan_tags_kernel",
    "token_ids_kernel",
]

UNSUPPORTED = -1
"""Return code: a construct the scanner does not decode (references, DTD, CDATA, ...)."""
MALFORMED = -2
"""Return code: not well-formed as far as the scanner checks."""
OVERFLOW = -3
"""Return code: more start tags than the output arrays hold."""
MAX_DEPTH = 256
"""Deepest element nesting the scanner follows (SUMO files nest 3-4 deep)."""
MAX_ATTRS = 64
"""Most attributes of one element the scanner checks for duplicates (SUMO writes up to 12)."""

_LT, _GT, _SLASH, _EQ, _QMARK, _BANG, _DASH = 60, 62, 47, 61, 63, 33, 45
_DQUOTE, _SQUOTE, _AMP = 34, 39, 38


@kernel
def _space(c):  # pragma: no cover
    return c == 32 or c == 10 or c == 13 or c == 9


@kernel
def _find(buf, start, end, names, ptr, lo, hi):  # pragma: no cover
    """Index ``k - lo`` of the name ``names[ptr[k]:ptr[k + 1]]`` (``lo <= k < hi``) equal to
    ``buf[start:end]``, or -1."""
    size = end - start
    for k in range(lo, hi):
        a = ptr[k]
        if ptr[k + 1] - a != size:
            continue
        same = True
        for j in range(size):
            if buf[start + j] != names[a + j]:
                same = False
                break
        if same:
            return k - lo
    return -1


@kernel
def _name_ok(buf, a, b):  # pragma: no cover
    """Whether ``buf[a:b]`` is a plausible XML name: an ASCII letter, ``_``, ``:`` or a non-ASCII
    byte first, then also digits, ``-`` and ``.`` (non-ASCII names are left to expat's
    judgement: the caller declines the document when it has any)."""
    if a >= b:
        return False
    c = buf[a]
    if not ((65 <= c <= 90) or (97 <= c <= 122) or c == 95 or c == 58 or c >= 128):
        return False
    for k in range(a + 1, b):
        c = buf[k]
        if not (
            (65 <= c <= 90)
            or (97 <= c <= 122)
            or (48 <= c <= 57)
            or c == 95
            or c == 58
            or c == 45
            or c == 46
            or c >= 128
        ):
            return False
    return True


@kernel
def _equal(buf, a, b, names, c, d):  # pragma: no cover
    """Whether ``buf[a:b]`` equals ``names[c:d]`` (``names`` may be ``buf`` itself)."""
    if b - a != d - c:
        return False
    for k in range(b - a):  # noqa: SIM110 - a plain loop for numba
        if buf[a + k] != names[c + k]:
            return False
    return True


@kernel
def scan_tags_kernel(
    buf, names, tag_ptr, attr_ptr, tag_attr_ptr, out_tag, out_depth, out_span
):  # pragma: no cover
    """Start tags of the document in ``buf``, in document order.

    ``names[tag_ptr[t]:tag_ptr[t + 1]]`` is the name of tag ``t``; tag ``t``'s attributes of
    interest are names ``attr_ptr[k]..attr_ptr[k + 1]`` for ``tag_attr_ptr[t] <= k <
    tag_attr_ptr[t + 1]``, slot ``k - tag_attr_ptr[t]``. For the ``i``-th start tag,
    ``out_tag[i]`` is its tag index (-1: not of interest), ``out_depth[i]`` its depth (the root:
    0) and ``out_span[i, 2s]``,
    ``out_span[i, 2s + 1]`` the start and end in ``buf`` of slot ``s``'s value (-1: absent).
    Returns the number of start tags, or :data:`UNSUPPORTED`, :data:`MALFORMED`,
    :data:`OVERFLOW`."""
    n = buf.shape[0]
    n_tags = tag_ptr.shape[0] - 1
    width = out_span.shape[1]
    stack_a = np.empty(MAX_DEPTH, np.int64)
    stack_b = np.empty(MAX_DEPTH, np.int64)
    seen_a = np.empty(MAX_ATTRS, np.int64)
    seen_b = np.empty(MAX_ATTRS, np.int64)
    depth = 0
    roots = 0
    count = 0
    i = 0
    while i < n:
        c = buf[i]
        if c != _LT:
            if depth == 0 and not _space(c):
                return MALFORMED  # text outside the root element
            if c == _AMP:
                return UNSUPPORTED  # a reference in text: expat checks it
            i += 1
            continue
        if i + 1 >= n:
            return MALFORMED
        c = buf[i + 1]
        if c == _QMARK:  # declaration or processing instruction
            j = i + 2
            while j + 1 < n and not (buf[j] == _QMARK and buf[j + 1] == _GT):
                j += 1
            if j + 1 >= n:
                return MALFORMED
            i = j + 2
            continue
        if c == _BANG:
            if i + 3 < n and buf[i + 2] == _DASH and buf[i + 3] == _DASH:
                j = i + 4
                while j + 2 < n and not (
                    buf[j] == _DASH and buf[j + 1] == _DASH and buf[j + 2] == _GT
                ):
                    j += 1
                if j + 2 >= n:
                    return MALFORMED
                i = j + 3
                continue
            return UNSUPPORTED  # DOCTYPE or CDATA
        if c == _SLASH:  # end tag: must close the innermost open element
            start = i + 2
            j = start
            while j < n and not _space(buf[j]) and buf[j] != _GT:
                j += 1
            if depth == 0:
                return MALFORMED
            depth -= 1
            if not _equal(buf, stack_a[depth], stack_b[depth], buf, start, j):
                return MALFORMED
            while j < n and _space(buf[j]):
                j += 1
            if j >= n or buf[j] != _GT:
                return MALFORMED
            i = j + 1
            continue
        # start tag
        if depth == 0:
            roots += 1
            if roots > 1:
                return MALFORMED
        start = i + 1
        j = start
        while j < n and not _space(buf[j]) and buf[j] != _SLASH and buf[j] != _GT:
            j += 1
        if not _name_ok(buf, start, j):
            return MALFORMED
        name_end = j
        code = _find(buf, start, name_end, names, tag_ptr, 0, n_tags)
        if count >= out_tag.shape[0]:
            return OVERFLOW
        out_tag[count] = code
        out_depth[count] = depth
        for k in range(width):
            out_span[count, k] = -1
        lo = 0
        hi = 0
        if code >= 0:
            lo = tag_attr_ptr[code]
            hi = tag_attr_ptr[code + 1]
        empty = False
        n_seen = 0
        while True:
            while j < n and _space(buf[j]):
                j += 1
            if j >= n:
                return MALFORMED
            c = buf[j]
            if c == _GT:
                j += 1
                break
            if c == _SLASH:
                if j + 1 < n and buf[j + 1] == _GT:
                    empty = True
                    j += 2
                    break
                return MALFORMED
            a = j
            while (
                j < n
                and not _space(buf[j])
                and buf[j] != _EQ
                and buf[j] != _GT
                and buf[j] != _SLASH
            ):
                j += 1
            b = j
            if not _name_ok(buf, a, b):
                return MALFORMED
            for k in range(n_seen):
                if _equal(buf, seen_a[k], seen_b[k], buf, a, b):
                    return MALFORMED  # duplicate attribute
            if n_seen == MAX_ATTRS:
                return UNSUPPORTED
            seen_a[n_seen] = a
            seen_b[n_seen] = b
            n_seen += 1
            while j < n and _space(buf[j]):
                j += 1
            if j >= n or buf[j] != _EQ:
                return MALFORMED
            j += 1
            while j < n and _space(buf[j]):
                j += 1
            if j >= n:
                return MALFORMED
            quote = buf[j]
            if quote != _DQUOTE and quote != _SQUOTE:
                return MALFORMED
            j += 1
            value_start = j
            while j < n and buf[j] != quote:
                v = buf[j]
                if v == _LT:
                    return MALFORMED
                if v == _AMP or v == 9 or v == 10 or v == 13:
                    return UNSUPPORTED  # a reference, or whitespace expat normalises
                j += 1
            if j >= n:
                return MALFORMED
            value_end = j
            j += 1
            if j < n and not (_space(buf[j]) or buf[j] == _SLASH or buf[j] == _GT):
                return MALFORMED  # attributes must be separated by white space
            if code >= 0:
                slot = _find(buf, a, b, names, attr_ptr, lo, hi)
                if slot >= 0:
                    out_span[count, 2 * slot] = value_start
                    out_span[count, 2 * slot + 1] = value_end
        count += 1
        if not empty:
            if depth >= MAX_DEPTH:
                return UNSUPPORTED
            stack_a[depth] = start
            stack_b[depth] = name_end
            depth += 1
        i = j
    if depth != 0 or roots != 1:
        return MALFORMED
    return count


_MASK = (1 << 62) - 1
"""Hashes are kept to 62 bits: the same values whether int64 products wrap (compiled) or not
(plain Python, the kernels' ``py_func``)."""


@kernel
def _split_space(c):  # pragma: no cover
    """ASCII white space as ``str.split()`` sees it (tab, line feed, vertical tab, form feed,
    carriage return, file/group/record/unit separators, space)."""
    return c == 32 or (9 <= c <= 13) or (28 <= c <= 31)


@kernel
def _hash(buf, a, b):  # pragma: no cover
    """FNV-1a of ``buf[a:b]``, kept to 62 bits."""
    h = 1469598103934665603 & _MASK
    for k in range(a, b):
        h = ((h ^ buf[k]) * 1099511628211) & _MASK
    return h


@kernel
def token_ids_kernel(buf, starts, ends, names, name_ptr, out_ids, out_ptr):  # pragma: no cover
    """Split each span ``buf[starts[i]:ends[i]]`` (none where ``starts[i] < 0``) at ASCII white
    space, as ``str.split()`` splits ASCII text, and number each token: ``k`` where it equals
    ``names[name_ptr[k]:name_ptr[k + 1]]`` (the first such ``k``), -1 where it equals no name.

    Span ``i``'s numbers are ``out_ids[out_ptr[i]:out_ptr[i + 1]]``; ``out_ids`` must hold every
    token (at most half a span's length, rounded up, per span). Returns the number of tokens."""
    n_names = name_ptr.shape[0] - 1
    size = 8
    while size < 2 * n_names:
        size *= 2
    mask = size - 1
    table = np.zeros(size, np.int64)  # open addressing: name number + 1, 0 = empty
    for k in range(n_names):
        h = _hash(names, name_ptr[k], name_ptr[k + 1]) & mask
        while table[h] != 0:
            h = (h + 1) & mask
        table[h] = k + 1
    count = 0
    out_ptr[0] = 0
    for i in range(starts.shape[0]):
        j = starts[i]
        end = ends[i] if j >= 0 else j
        while j < end:
            while j < end and _split_space(buf[j]):
                j += 1
            if j >= end:
                break
            a = j
            while j < end and not _split_space(buf[j]):
                j += 1
            h = _hash(buf, a, j) & mask
            # equal names hash alike and went in in order: the first one probed is the first
            found = -1
            while table[h] != 0:
                k = table[h] - 1
                if _equal(buf, a, j, names, name_ptr[k], name_ptr[k + 1]):
                    found = k
                    break
                h = (h + 1) & mask
            out_ids[count] = found
            count += 1
        out_ptr[i + 1] = count
    return count


@kernel
def count_byte_kernel(buf, value):  # pragma: no cover
    """How many bytes of ``buf`` equal ``value`` (``bytearray.count`` of one byte is a third as
    fast: 5.6 against 1.7 ms on 15 MB)."""
    count = 0
    for i in range(buf.shape[0]):
        if buf[i] == value:
            count += 1
    return count


@kernel
def intern_spans_kernel(buf, starts, ends, out_ids, out_first):  # pragma: no cover
    """Number the distinct byte strings ``buf[starts[i]:ends[i]]`` in order of first appearance:
    ``out_ids[i]`` is span ``i``'s number (-1 where ``starts[i] < 0``: absent) and
    ``out_first[k]`` the first span with number ``k``. Returns how many there are."""
    n = starts.shape[0]
    size = 8
    while size < 2 * n:
        size *= 2
    mask = size - 1
    table = np.zeros(size, np.int64)  # open addressing: number + 1, 0 = empty
    count = 0
    for i in range(n):
        a = starts[i]
        if a < 0:
            out_ids[i] = -1
            continue
        b = ends[i]
        h = _hash(buf, a, b) & mask
        found = -1
        while table[h] != 0:
            k = table[h] - 1
            if _equal(buf, a, b, buf, starts[out_first[k]], ends[out_first[k]]):
                found = k
                break
            h = (h + 1) & mask
        if found < 0:
            found = count
            out_first[count] = i
            table[h] = count + 1
            count += 1
        out_ids[i] = found
    return count


MODE = compile_kernels(globals())
"""``"aot"`` or ``"jit"``: how the functions above were compiled."""
