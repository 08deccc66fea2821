"""Run the counter on the real clips in ``../shared/data/video`` and print the counts.

Camera files for the clips live in ``benchmarks/vision/cameras/`` (the videos are never
committed). For the M6 clips the heavy-vehicle counts are printed next to the published truck
counts (``m6_trucks/counts.csv``; it does not say which direction was counted, so both
directions and their sum are shown).

Usage::

    .venv/bin/python benchmarks/vision/real_clips.py [--data ../shared/data] [--width 480]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from signalbrain.io.camera import read_camera
from signalbrain.vision import VideoError, count_video

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLIPS = [
    ("cdnet_highway/highway.avi", "cdnet_highway.yaml"),
    ("misc/highway_cctv.avi", "highway_cctv.yaml"),
    ("misc/topdown_road.avi", "topdown_road.yaml"),
    ("misc/residential_street.mp4", "residential_street.yaml"),
]


def _line_text(counts: dict[str, dict[str, int]], classes: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{k}: {v['total']} (+{v['positive']}/-{v['negative']}, heavy {classes[k]['heavy']})"
        for k, v in counts.items()
    )


def main(argv: list[str] | None = None) -> int:
    """Count every clip and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("SIGNALBRAIN_SHARED", ROOT.parent / "shared")) / "data"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument(
        "--width",
        type=int,
        default=None,
        help="processing width (default: the camera file's, else 480)",
    )
    args = parser.parse_args(argv)
    video_dir = args.data / "video"
    if not video_dir.is_dir():
        print(f"no clips at {video_dir}", file=sys.stderr)
        return 2

    def camera(name: str):  # type: ignore[no-untyped-def]
        cam = read_camera(HERE / "cameras" / name)
        return replace(cam, resize_width=args.width) if args.width else cam

    total_frames = 0
    total_cpu = 0.0
    print("clip                               frames  fps/core  lines")
    m6 = video_dir / "m6_trucks"
    truth = {}
    if (m6 / "counts.csv").is_file():
        with open(m6 / "counts.csv", newline="", encoding="utf-8") as fh:
            truth = {row["file"]: int(row["count"]) for row in csv.DictReader(fh)}
    heavy_rows = []
    for name in sorted(truth, key=lambda s: int("".join(c for c in s if c.isdigit()) or 0)):
        cpu0 = time.process_time()
        try:
            c = count_video(m6 / name, camera("m6_trucks.yaml"))
        except VideoError as exc:
            print(f"m6_trucks/{name:25s} skipped: {exc}")
            continue
        cpu = time.process_time() - cpu0
        total_frames += c.frames
        total_cpu += cpu
        print(
            f"m6_trucks/{name:25s} {c.frames:6d} {c.frames / cpu:9.0f}  "
            f"{_line_text(c.lines, c.classes)}"
        )
        heavy_rows.append(
            (name, c.classes["away"]["heavy"], c.classes["towards"]["heavy"], truth[name])
        )
    for rel, cam in CLIPS:
        path = video_dir / rel
        if not path.is_file():
            continue
        cpu0 = time.process_time()
        c = count_video(path, camera(cam))
        cpu = time.process_time() - cpu0
        total_frames += c.frames
        total_cpu += cpu
        print(f"{rel:34s} {c.frames:6d} {c.frames / cpu:9.0f}  {_line_text(c.lines, c.classes)}")
    if heavy_rows:
        print("\nM6 heavy vehicles (counter) vs published truck counts")
        print("clip             away  towards  sum  published")
        for name, a, b, t in heavy_rows:
            print(f"{name:12s} {a:8d} {b:7d} {a + b:4d} {t:10d}")
        s_t = sum(r[1] for r in heavy_rows)
        s_a = sum(r[2] for r in heavy_rows)
        s_p = sum(r[3] for r in heavy_rows)
        print(f"{'all':12s} {s_t:8d} {s_a:7d} {s_t + s_a:4d} {s_p:10d}")
    if total_cpu > 0:
        print(f"\n{total_frames} frames, {total_frames / total_cpu:.0f} frames per CPU second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
