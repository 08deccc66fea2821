# mypy: allow-untyped-defs
"""numba kernel of the SUMO route reader (:func:`signalbrain.io.demand.read_sumo_routes`):
consecutive edge pairs counted per movement.

Plain Python marked ``@kernel``, compiled in place by the last line as the timing kernels are
(:func:`signalbrain.timing._compiled.compile_kernels`: ahead of time into the same extension,
numba JIT otherwise). The reader runs it only when the extension is built (in JIT mode the numba
import would cost more than it saves); its test oracles are a plain loop and the numpy count it
replaces, :func:`signalbrain.io.demand._count_pairs_numpy`, which stays the way without the
extension.

Why: 9,000 routed vehicles on a 1,296-signal grid make 245,000 pairs. Looked up with numpy's
binary search and summed with ``np.bincount`` they cost 0.025 s; in one compiled loop that
finds each pair among the few of its first edge, under 1 ms. The routes come numbered from the
file's bytes (:func:`signalbrain.io._xml_kernels.token_ids_kernel`).
"""

from __future__ import annotations

from signalbrain.timing._compiled import compile_kernels, kernel

__all__ = ["pair_count_kernel"]


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
