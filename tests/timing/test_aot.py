"""Ahead-of-time timing kernels: the same results as the JIT kernels and the numpy twins, checked
arguments, no numba at run time, and the fall-back to JIT when the extension is stale.

Tests marked ``needs_aot`` skip unless the extension is built and current
(``python -m signalbrain.timing._aot``); the fall-back tests always run.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalbrain.io import _route_kernels as _routes
from signalbrain.io import _xml_kernels as _xml
from signalbrain.network.generate import grid
from signalbrain.timing import _compiled, _kernels, _kernels_coord
from signalbrain.timing._reference import (
    fill_reference,
    isolated_reference,
    movement_sat_reference,
    phase_ratio_reference,
)
from signalbrain.timing._reference_coord import (
    arc_table_reference,
    offset_search_reference,
    queue_reference,
    red_start_reference,
)
from signalbrain.timing.coordination import ALPHA, BETA, Coordinator

STEPS = 20
TIMING = Path(_kernels.__file__).parent

needs_aot = pytest.mark.skipif(
    _kernels.MODE != "aot" or _kernels_coord.MODE != "aot",
    reason="AOT kernels not built or stale (python -m signalbrain.timing._aot)",
)


def _both(kernel: Any, *args: Any) -> list[Any]:
    """Run the AOT and the JIT version of ``kernel`` on copies of ``args``; assert that both
    return the same and leave bit-identical arrays; return the AOT run's arguments (outputs
    filled) followed by its return value."""
    assert isinstance(kernel, _compiled.AotKernel)
    assert kernel.accepts(args), f"{kernel.__name__}: the engine's argument types must run AOT"
    runs = []
    for fn in (kernel.aot, kernel.jit()):
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        runs.append([*copies, fn(*copies)])
    for x, y in zip(*runs, strict=True):
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y
    return runs[0]


@needs_aot
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(["nema", "two-phase"]), st.booleans())
def test_isolated_kernels_aot_equal_jit_and_twins(seed: int, phasing: str, fixed: bool) -> None:
    net = grid(2, 3, phasing=phasing)
    co = Coordinator(net, steps=STEPS)
    ta = co.solver.arrays
    rng = np.random.default_rng(seed)
    n_m = len(ta.movement_ids)
    flows = rng.uniform(0.0, 900.0, n_m)
    heavy = rng.uniform(0.0, 0.2, n_m)
    cycle = np.full(ta.n_intersections, rng.uniform(50.0, 160.0) if fixed else np.nan)
    *_, sat, _ = _both(
        _kernels.movement_sat_kernel,
        flows,
        heavy,
        ta.movement_sat_base_vph,
        ta.opp_indptr,
        ta.opp_movements,
        np.empty(n_m),
    )
    np.testing.assert_allclose(sat, movement_sat_reference(ta, flows, heavy), rtol=1e-12)
    *_, y, _ = _both(
        _kernels.phase_ratio_kernel,
        flows,
        heavy,
        sat,
        ta.phase_entry_indptr,
        ta.entry_movement,
        ta.entry_link,
        ta.entry_share,
        ta.link_cap_vph,
        np.empty(ta.n_phases),
    )
    np.testing.assert_allclose(y, phase_ratio_reference(ta, flows, heavy, sat), rtol=1e-12)
    out = _both(
        _kernels.isolated_kernel,
        y,
        ta.isec_group_indptr,
        ta.group_seg_indptr,
        ta.seg_slot_indptr,
        ta.slot_phase,
        ta.phase_lo_s,
        ta.phase_hi_s,
        ta.phase_lost_s,
        ta.isec_cycle_min_s,
        ta.isec_cycle_max_s,
        cycle,
        np.empty(ta.n_intersections),
        np.empty(ta.n_phases),
        np.empty(ta.n_intersections),
        np.empty(ta.n_intersections, dtype=np.int64),
    )
    cyc, split, _xc, flags = isolated_reference(ta, y, cycle)
    np.testing.assert_allclose(out[11], cyc, rtol=1e-9)
    np.testing.assert_allclose(out[12], split, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(out[14], flags)


@needs_aot
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(1, 3), st.integers(2, 3))
def test_coordination_kernels_aot_equal_jit_and_twins(seed: int, rows: int, cols: int) -> None:
    net = grid(rows, cols, spacing_m=[180.0, 260.0, 320.0][: max(rows, cols) - 1])
    co = Coordinator(net, steps=STEPS)
    ta, arcs = co.solver.arrays, co.arcs
    rng = np.random.default_rng(seed)
    ids = ta.movement_ids
    flows = np.array([500.0 if m.endswith(".T") else 100.0 for m in ids])
    flows = flows * rng.uniform(0.3, 1.6, len(ids))
    free = co.solver.solve(flows)
    own, gc = co.cycles(free)
    split = co.solver.solve(flows, None, own)
    n_m = len(ids)
    *_, mask, _ = _both(
        _kernels_coord.green_mask_kernel,
        split.split_s,
        split.green_s,
        ta.phase_clear_s,
        ta.isec_group_indptr,
        ta.group_seg_indptr,
        ta.seg_slot_indptr,
        ta.slot_phase,
        ta.mp_indptr,
        ta.mp_phase,
        ta.mp_carry,
        ta.net.movement_intersection,
        split.cycle_s,
        gc,
        2.0,
        2.0,
        np.zeros((n_m, STEPS)),
    )
    _, red, _ = _both(_kernels_coord.red_start_kernel, mask, np.zeros(n_m, dtype=np.int64))
    np.testing.assert_array_equal(red, red_start_reference(mask))
    dt_mov = np.ascontiguousarray((gc / STEPS)[ta.net.movement_intersection])
    cap = np.ascontiguousarray(mask * (split.sat_vph * dt_mov / 3600.0)[:, None])
    arrivals = rng.uniform(0, 1, mask.shape) * (flows * dt_mov / 1800.0)[:, None]
    out = _both(
        _kernels_coord.queue_kernel,
        arrivals,
        cap,
        red,
        np.zeros_like(arrivals),
        np.zeros_like(arrivals),
        np.zeros(n_m),
        np.zeros(n_m),
    )
    dep, dep_q, qs, sts = out[3:7]
    for got, want in zip((dep, dep_q, qs, sts), queue_reference(arrivals, cap, red), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    travel = np.ascontiguousarray(arcs.arc_travel_s / (gc / STEPS)[arcs.arc_v])
    lag = np.ascontiguousarray(rng.uniform(0.0, 3.0, arcs.n_arcs))
    *_, prof, _ = _both(
        _kernels_coord.arc_profile_kernel,
        dep,
        dep_q,
        arcs.arc_feed_indptr,
        arcs.arc_feed,
        travel,
        lag,
        ALPHA,
        BETA,
        np.zeros((arcs.n_arcs, STEPS)),
    )
    *_, table, _ = _both(
        _kernels_coord.arc_table_kernel,
        prof,
        arcs.arc_link,
        ta.net.link_down_indptr,
        ta.net.link_down_movements,
        flows,
        cap,
        red,
        dt_mov,
        10.0,
        np.zeros((arcs.n_arcs, STEPS)),
    )
    np.testing.assert_allclose(
        table,
        arc_table_reference(ta, arcs, prof, flows, cap, red, dt_mov, 10.0),
        rtol=1e-9,
        atol=1e-9,
    )
    offsets = rng.integers(0, STEPS, net.signal_count).astype(np.int64)
    _both(
        _kernels_coord.arrivals_kernel,
        prof,
        offsets,
        arcs.arc_u,
        arcs.arc_v,
        arcs.link_arc,
        arcs.arc_link,
        ta.net.link_down_indptr,
        ta.net.link_down_movements,
        ta.net.movement_from_link,
        flows,
        dt_mov,
        np.zeros_like(arrivals),
    )
    period = np.full(net.signal_count, STEPS, dtype=np.int64)
    out = _both(
        _kernels_coord.offset_search_kernel,
        table,
        arcs.arc_u,
        arcs.arc_v,
        arcs.sig_in_indptr,
        arcs.sig_in,
        arcs.sig_out_indptr,
        arcs.sig_out,
        period,
        co.order,
        np.zeros(net.signal_count, dtype=np.int64),
        True,
        20,
    )
    ref_off = np.zeros(net.signal_count, dtype=np.int64)
    ref_sweeps = offset_search_reference(table, arcs, period, co.order, ref_off, True, 20)
    np.testing.assert_array_equal(out[9], ref_off)
    assert out[-1] == ref_sweeps


@needs_aot
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 8.0), st.floats(1e-3, 1.0), st.floats(0.0, 40.0), st.floats(0.0, 60.0)
        ),
        min_size=1,
        max_size=6,
    ),
    st.floats(0.0, 1.0),
)
def test_fill_aot_equals_jit_and_exact(
    items: list[tuple[float, float, float, float]], where: float
) -> None:
    lost = np.array([i[0] for i in items])
    w = np.array([i[1] for i in items])
    lo = np.array([i[2] for i in items])
    hi = lo + np.array([i[3] for i in items])
    total = float(lo.sum() + where * (hi.sum() - lo.sum()))
    *_, out, broke = _both(_kernels._fill, lost, w, lo, hi, total, np.empty(len(items)))
    ref, ref_broke = fill_reference(lost, w, lo, hi, total)
    assert bool(broke) == ref_broke
    np.testing.assert_allclose(out, ref, atol=1e-6)


@needs_aot
def test_other_argument_types_run_the_jit_version() -> None:
    """A call the AOT signature does not cover (strided, Fortran-ordered, other dtype, read-only
    output) is not handed to the AOT code: the JIT version runs it, with the same result."""
    rng = np.random.default_rng(3)
    mask = np.round(rng.uniform(0.0, 1.0, (6, 12)), 1)
    want = red_start_reference(mask)
    kernel = _kernels_coord.red_start_kernel
    assert isinstance(kernel, _compiled.AotKernel)
    for m, out in (
        (np.asfortranarray(mask), np.zeros(6, dtype=np.int64)),
        (np.repeat(mask, 2, axis=1)[:, ::2], np.zeros(6, dtype=np.int64)),
        (mask, np.zeros(6, dtype=np.int32)),
        (mask.astype(np.float32), np.zeros(6, dtype=np.int64)),
    ):
        assert not kernel.accepts((m, out))
        kernel(m, out)
        np.testing.assert_array_equal(out, want)
    frozen = np.zeros(6, dtype=np.int64)
    frozen.flags.writeable = False
    assert not kernel.accepts((mask, frozen))
    assert not kernel.accepts((mask,))
    profile = _kernels_coord.arc_profile_kernel
    assert isinstance(profile, _compiled.AotKernel)
    idx = np.zeros(1, np.int32)
    assert not profile.accepts((mask, mask, idx, idx, mask[0], mask[0], "a", 1.0, mask))
    assert profile.accepts((mask, mask, idx, idx, mask[0], mask[0], 0.5, 1.0, mask))


def test_signatures_name_marked_kernels_with_matching_arity() -> None:
    assert set(_compiled.SIGNATURES) == set(_compiled.KERNEL_PACKAGES)
    modules = (
        ("_kernels", _kernels),
        ("_kernels_coord", _kernels_coord),
        ("_xml_kernels", _xml),
        ("_route_kernels", _routes),
    )
    for name, mod in modules:
        for kernel, signature in _compiled.SIGNATURES[name].items():
            func = getattr(mod, kernel).py_func
            assert getattr(func, "__signalbrain_kernel__", False)
            args = _compiled.parse_signature(signature)
            assert len(args) == func.__code__.co_argcount, kernel
    assert _compiled.parse_signature("i8(f8[:, ::1], i4[::1], f8, b1)") == (
        (np.dtype(np.float64), 2),
        (np.dtype(np.int32), 1),
        (np.dtype(np.float64), 0),
        (np.dtype(np.bool_), 0),
    )


def _fresh(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"signalbrain.timing.{name}", TIMING / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stale_extension_falls_back_to_jit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An extension built from other source (its hash differs) is never used: the kernels are
    numba JIT dispatchers, with the same results."""
    monkeypatch.delenv("SIGNALBRAIN_KERNELS", raising=False)
    monkeypatch.setattr(_compiled, "_AOT_CACHE", {})
    monkeypatch.setattr(_compiled, "source_hash", lambda: "0" * 64)
    assert _compiled.load_aot() is None
    stale = _fresh("_kernels")
    assert stale.MODE == "jit"
    kernel = stale.isolated_kernel
    assert type(kernel).__module__.startswith("numba")
    lost, w = np.array([4.0, 4.0, 5.0]), np.array([0.3, 0.1, 0.2])
    lo, hi = np.array([10.0, 10.0, 12.0]), np.array([40.0, 30.0, 50.0])
    a, b = np.empty(3), np.empty(3)
    assert stale._fill(lost, w, lo, hi, 70.0, a) == _kernels._fill(lost, w, lo, hi, 70.0, b)
    np.testing.assert_array_equal(a, b)


def test_current_extension_is_found_only_for_its_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGNALBRAIN_KERNELS", raising=False)
    monkeypatch.setattr(_compiled, "_AOT_CACHE", {})
    assert _compiled.load_aot("not the hash") is None
    assert _compiled.load_aot(module="signalbrain.timing._no_such_module") is None
    monkeypatch.setenv("SIGNALBRAIN_KERNELS", "jit")
    assert _compiled.load_aot() is None
    if _kernels.MODE == "aot":
        monkeypatch.delenv("SIGNALBRAIN_KERNELS")
        found = _compiled.load_aot()
        assert found is not None
        assert found.source_hash() == _compiled.source_hash()


def _fresh_process(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter, kernels in their automatic mode."""
    env = {k: v for k, v in os.environ.items() if k != "SIGNALBRAIN_KERNELS"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )


@needs_aot
def test_aot_path_never_imports_numba() -> None:
    code = (
        "import sys\n"
        "from signalbrain.network.generate import grid\n"
        "from signalbrain.timing import _kernels, _kernels_coord\n"
        "from signalbrain.timing.coordination import Coordinator\n"
        "from signalbrain.timing.optimize import optimize_network\n"
        "from signalbrain.demand import Demand\n"
        "net = grid(2, 2)\n"
        "flows = {m.id: 300.0 for s in net.intersections for m in s.movements if m.turn != 'P'}\n"
        "optimize_network(net, Demand(flows))\n"
        "print(_kernels.MODE, _kernels_coord.MODE, 'numba' in sys.modules)\n"
    )
    run = _fresh_process(code)
    assert run.stdout.split() == ["aot", "aot", "False"], run.stderr


@needs_aot
def test_xml_scanner_runs_ahead_of_time_without_numba() -> None:
    """The SUMO readers' scanner is in the same extension: reading with it imports no numba."""
    code = (
        "import sys\n"
        "from signalbrain.io._xml_scan import Schema, scan_tags\n"
        "s = scan_tags(bytearray(b'<net><edge id=\"e\"/></net>'), Schema((('edge', ('id',)),)))\n"
        "from signalbrain.io import _xml_kernels\n"
        "print(_xml_kernels.MODE, s is not None and s.tag.tolist(), 'numba' in sys.modules)\n"
    )
    run = _fresh_process(code)
    assert run.stdout.split() == ["aot", "[-1,", "0]", "False"], run.stderr


@pytest.mark.slow
def test_build_writes_a_current_extension(tmp_path: Path) -> None:
    from signalbrain.timing._aot import build

    path = build(tmp_path)
    spec = importlib.util.spec_from_file_location("_kernels_aot", path)
    assert spec is not None
    assert spec.loader is not None
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    assert ext.source_hash() == _compiled.source_hash()
    mask = np.asarray([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0]])
    out = np.zeros(2, dtype=np.int64)
    ext.red_start_kernel(mask, out)
    np.testing.assert_array_equal(out, red_start_reference(mask))
