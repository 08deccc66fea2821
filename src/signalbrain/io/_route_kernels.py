# mypy: allow-untyped-defs
"""numba kernels of the SUMO route reader (:func:`signalbrain.io.demand.read_sumo_routes`): edge
lists numbered straight from the file's bytes, and consecutive edge pairs counted per movement.

Plain Python marked ``@kernel``, compiled in place by the last line as the timing kernels are
(:func:`signalbrain.timing._compiled.compile_kernels`: ahead of time into the same extension,
numba JIT otherwise). The reader runs them only when the extension is built (in JIT mode the
numba import would cost more than they save); their test oracles are what they replace:
``str.split`` with a dict lookup per edge, and the numpy count of
:func:`signalbrain.io.demand._count_pairs_numpy`.

Why: 9,000 routed vehicles on a 1,296-signal grid carry 254,000 edge names. Made into Python
strings, looked up in a dict and counted with numpy they cost 0.065 s; numbered in the bytes by a
hash table and counted in one compiled loop, a few ms.
"""

from __future__ import annotations

import numpy as np

from signalbrain.timing._compiled import compile_kernels, kernel

__all__ = ["pair_count_kernel", "token_ids_kernel"]

_MASK = (1 << 62) - 1
"""Hashes are kept to 62 bits: the same values whether int64 products wrap (compiled) or not
(plain Python, the kernels' ``py_func``)."""


@kernel
def _space(c):  # pragma: no cover
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
def _equal(buf, a, b, names, c, d):  # pragma: no cover
    """Whether ``buf[a:b]`` equals ``names[c:d]``."""
    if b - a != d - c:
        return False
    for k in range(b - a):  # noqa: SIM110 - a plain loop for numba
        if buf[a + k] != names[c + k]:
            return False
    return True


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
            while j < end and _space(buf[j]):
                j += 1
            if j >= end:
                break
            a = j
            while j < end and not _space(buf[j]):
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
def pair_count_kernel(
    ids, ptr, keys, head_ptr, target, n_edges, weights, heavy, sums, heavy_sums, first, heavy_first
):  # pragma: no cover
    """Count consecutive edge pairs per movement.

    Route ``r`` is ``ids[ptr[r]:ptr[r + 1]]`` (edge numbers, -1: an edge no pair has) and counts
    ``weights[r]`` vehicles, heavy when ``heavy[r]``. A pair ``(a, b)`` is movement
    ``target[p]`` where ``keys[p] == a * n_edges + b``; ``keys`` is sorted and the pairs from
    edge ``a`` are ``head_ptr[a] <= p < head_ptr[a + 1]`` (a few: the turns at one junction).
    Adds the vehicles to ``sums`` (and heavy ones to ``heavy_sums``) route by route, pair by
    pair, as a plain loop does; ``first[m]`` (``heavy_first[m]``) becomes the rank of movement
    ``m``'s first count (first heavy count) and stays -1 where it has none."""
    seen = 0
    seen_heavy = 0
    for r in range(ptr.shape[0] - 1):
        w = weights[r]
        is_heavy = heavy[r]
        for j in range(ptr[r], ptr[r + 1] - 1):
            a = ids[j]
            b = ids[j + 1]
            if a < 0 or b < 0:
                continue
            code = a * n_edges + b
            at = -1
            for p in range(head_ptr[a], head_ptr[a + 1]):
                if keys[p] == code:
                    at = p
                    break
            if at < 0:
                continue
            m = target[at]
            sums[m] += w
            if first[m] < 0:
                first[m] = seen
                seen += 1
            if is_heavy:
                heavy_sums[m] += w
                if heavy_first[m] < 0:
                    heavy_first[m] = seen_heavy
                    seen_heavy += 1


MODE = compile_kernels(globals())
"""``"aot"`` or ``"jit"``: how the functions above were compiled."""
