"""Vision benchmarks: counter speed against plain decoding, and accuracy on synthetic clips.

Speed: a synthetic clip is rendered at 320x240, 640x360, 1280x720 and 1920x1080 (mp4v, 20 s at
15 fps), then decoded alone (``cap.read()``) and counted, each on one core
(``cv2.setNumThreads(1)``), processing at 320 px width. Frames per second are given per CPU
second of this process (``time.process_time``), which is what "per core" means on a shared
machine, and per wall second; ``ratio`` is counter fps over decode fps on the same file. Both
are the best of three rounds (the counter's first round also loads the numba kernels). Targets
(issue 4): >= 100 fps at 640x360, >= 25 fps at 1080p, ratio >= 0.3.

Measured 2026-12-06 21:29 UTC on a quiet 2-core machine (CPU fps decode / counter (ratio), three
runs; rates vary by +-20 % between runs, decoding at 320x240 most):

==========  ==========================================================
source      decode / counter (ratio)
==========  ==========================================================
320x240     6259 / 1168 (0.19), 6382 / 1147 (0.18), 5356 / 1163 (0.22)
640x360     2789 / 977 (0.35), 2673 / 968 (0.36), 2626 / 946 (0.36)
1280x720    772 / 504 (0.65), 739 / 481 (0.65), 739 / 483 (0.65)
1920x1080   358 / 283 (0.79), 344 / 266 (0.77), 353 / 273 (0.77)
==========  ==========================================================

The ratio is met from 640x360 up, not at 320x240, where the processing frame is the source frame
and decoding takes only 0.16-0.19 ms: 0.30 would leave about 0.4 ms for everything else, and the
two MOG2 kernels alone take 0.30 ms (classification 0.12, learning 0.175 averaged over the frames,
every 4th frame). ``benchmarks/README.md`` has the per-stage cost and what each kernel bought;
counts stay identical to the bit across these speed-ups (synthetic seeds 1-3 and 21-23, the real
clips).

Accuracy: synthetic intersection clips with shadows, noise, lighting drift and shake; line and
movement errors (sum of absolute differences over true totals) and queue occupancy error.
Targets: lines and movements within 3 %, occupancy within 10 %.

Run: ``.venv/bin/python -m pytest benchmarks/vision --benchmark-only -s`` (``-k fps`` or
``-k accuracy`` for one part).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import pytest

from signalbrain.vision import count_video
from signalbrain.vision.synth import Geometry, SynthConfig, TrafficConfig, render_clip
from signalbrain.vision.synth.score import score

SIZES = [(320, 240, 320), (640, 360, 320), (1280, 720, 320), (1920, 1080, 320)]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, int], Path]:
    """One 20 s clip per resolution (same traffic, scene scaled to the frame)."""
    out = {}
    folder = tmp_path_factory.mktemp("vision_speed")
    for w, h, _ in SIZES:
        geo = Geometry(width_px=w, height_px=h, px_per_m=w / 80.0)
        cfg = SynthConfig(geometry=geo, traffic=TrafficConfig(duration_s=20.0, fps=15.0))
        out[(w, h)] = render_clip(folder / f"clip_{w}x{h}.mp4", seed=1, config=cfg).video
    return out


def _decode(path: Path) -> tuple[int, float, float]:
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        cap = cv2.VideoCapture(str(path))
        n = 0
        while cap.read()[0]:
            n += 1
        cap.release()
        return n, time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        cv2.setNumThreads(threads)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("width", "height", "proc_width"), SIZES, ids=[f"{w}x{h}" for w, h, _ in SIZES]
)
def test_counter_fps_vs_decode(
    benchmark: Any,
    clips: dict[tuple[int, int], Path],
    width: int,
    height: int,
    proc_width: int,
) -> None:
    """Counter and plain-decode frames per second at one source resolution."""
    from signalbrain.io.camera import read_camera

    video = clips[(width, height)]
    camera = replace(
        read_camera(video.with_name(video.stem + ".camera.yaml")), resize_width=proc_width
    )
    # best of three for both, so that the ratio compares like with like on a shared machine
    n, dec_cpu, dec_wall = min((_decode(video) for _ in range(3)), key=lambda r: r[1])
    cpu: list[float] = []

    def run() -> int:
        c0 = time.process_time()
        counts = count_video(video, camera)
        cpu.append(time.process_time() - c0)
        return int(counts.frames)

    frames = benchmark.pedantic(run, rounds=3, iterations=1)
    count_cpu = min(cpu)
    info = {
        "frames": frames,
        "processing_width": proc_width,
        "decode_fps_cpu": n / dec_cpu,
        "decode_fps_wall": n / dec_wall,
        "count_fps_cpu": frames / count_cpu,
        "count_fps_wall": frames / benchmark.stats.stats.min,
        "ratio_cpu": (frames / count_cpu) / (n / dec_cpu),
    }
    benchmark.extra_info.update(info)
    print(
        f"\n{width}x{height} (processed at {proc_width} px): decode {info['decode_fps_cpu']:.0f}"
        f" fps/core, counter {info['count_fps_cpu']:.0f} fps/core, ratio "
        f"{info['ratio_cpu']:.2f} (wall: {info['decode_fps_wall']:.0f} / "
        f"{info['count_fps_wall']:.0f})"
    )
    assert frames == n


@pytest.mark.slow
@pytest.mark.parametrize("seed", [21, 22, 23])
def test_synthetic_accuracy(benchmark: Any, tmp_path: Path, seed: int) -> None:
    """Line, movement and queue-occupancy error on a 90 s synthetic clip (640x480, 15 fps)."""
    cfg = SynthConfig(traffic=TrafficConfig(duration_s=90.0), resize_width=320)
    clip = render_clip(tmp_path / "acc.avi", seed=seed, config=cfg)
    counts = benchmark.pedantic(
        count_video,
        args=(clip.video, clip.camera),
        rounds=1,
        iterations=1,
    )
    s = score(counts, clip.truth)
    benchmark.extra_info.update(
        {
            "true_crossings": s.true_crossings,
            "true_movements": s.true_movements,
            "line_error": s.line_error,
            "movement_error": s.movement_error,
            "occupancy_error": s.occupancy_error,
            "occupancy_mae": s.occupancy_mae,
            "heavy_error": s.heavy_error,
        }
    )
    print(
        f"\nseed {seed}: {s.true_crossings} crossings, line error {s.line_error:.3f}; "
        f"{s.true_movements} movements, error {s.movement_error:.3f}; occupancy error "
        f"{s.occupancy_error:.3f} (MAE {s.occupancy_mae:.3f}); heavy error {s.heavy_error:.2f}"
    )
