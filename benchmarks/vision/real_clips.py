"""Run the counter on the real clips in ``../shared/data/video`` and compare with the truth.

Camera files for the clips live in ``benchmarks/vision/cameras/`` (the videos are never
committed). The truth is ``benchmarks/vision/truth/hand_counts.yaml``: vehicles per line counted
by eye on slit-scan images (``benchmarks/vision/slitscan.py``). For every line the script prints
the counter's count (by direction), the hand count and the difference; per clip and overall the
count error ``sum |counter - hand| / sum hand`` over the lines marked separable (the target is
at most 5 %), and over all lines for information. Heavy vehicles are compared with the hand
counts (a count within ``[heavy, heavy + heavy_doubtful]`` is right) and, for the M6 clips, with
the published truck counts (``m6_trucks/counts.csv``), which count trucks seen anywhere in a
clip in both directions, also those that never cross a count line.

Usage::

    .venv/bin/python benchmarks/vision/real_clips.py [--data ../shared/data] [--width 480]
        [--clip m6_trucks/video1.mp4 ...]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from signalbrain.io.camera import CameraSpec, read_camera
from signalbrain.vision import CountConfig, VideoCounts, count_video

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TRUTH = HERE / "truth" / "hand_counts.yaml"
CAMERAS = HERE / "cameras"


@dataclass(frozen=True, slots=True)
class LineTruth:
    """One line's hand count (see ``truth/hand_counts.yaml``)."""

    clip: str
    camera: str
    line: str
    direction: str
    vehicles: int
    heavy: int
    heavy_doubtful: int
    separable: bool


@dataclass(frozen=True, slots=True)
class LineResult:
    """The counter's count at one line next to the hand count."""

    truth: LineTruth
    total: int
    positive: int
    negative: int
    heavy: int

    @property
    def error(self) -> int:
        """``|counter - hand|`` [vehicles]."""
        return abs(self.total - self.truth.vehicles)

    @property
    def heavy_error(self) -> int:
        """Distance of the counter's heavy count from ``[heavy, heavy + heavy_doubtful]``."""
        lo = self.truth.heavy
        hi = lo + self.truth.heavy_doubtful
        return max(lo - self.heavy, self.heavy - hi, 0)


def load_truth(path: Path = TRUTH) -> list[LineTruth]:
    """The hand counts, one entry per clip and line."""
    with open(path, encoding="utf-8") as fh:
        doc: dict[str, Any] = yaml.safe_load(fh)
    return [
        LineTruth(
            str(c["clip"]),
            str(c["camera"]),
            str(c["line"]),
            str(c["direction"]),
            int(c["vehicles"]),
            int(c["heavy"]),
            int(c.get("heavy_doubtful", 0)),
            bool(c["separable"]),
        )
        for c in doc["counts"]
    ]


def compare(truth: Iterable[LineTruth], counts: VideoCounts) -> list[LineResult]:
    """Line results of one clip's counts against its hand counts."""
    out = []
    for t in truth:
        c = counts.lines[t.line]
        out.append(
            LineResult(t, c["total"], c["positive"], c["negative"], counts.classes[t.line]["heavy"])
        )
    return out


def error_rate(results: Iterable[LineResult]) -> float:
    """``sum |counter - hand| / sum hand`` (0 when there is nothing to count)."""
    rs = list(results)
    true = sum(r.truth.vehicles for r in rs)
    return sum(r.error for r in rs) / true if true else 0.0


def run(
    data: Path,
    clips: list[str] | None = None,
    width: int | None = None,
    config: CountConfig | None = None,
) -> tuple[list[LineResult], float, int]:
    """Count every clip of the truth file (or ``clips``): results, CPU seconds, frames."""
    truth = load_truth()
    by_clip: dict[str, list[LineTruth]] = {}
    for t in truth:
        if clips is None or t.clip in clips:
            by_clip.setdefault(t.clip, []).append(t)
    results: list[LineResult] = []
    cpu = 0.0
    frames = 0
    for clip, lines in by_clip.items():
        cam: CameraSpec = read_camera(CAMERAS / lines[0].camera)
        if width:
            cam = replace(cam, resize_width=width)
        cpu0 = time.process_time()
        counts = count_video(data / "video" / clip, cam, config=config)
        cpu += time.process_time() - cpu0
        frames += counts.frames
        results.extend(compare(lines, counts))
    return results, cpu, frames


def _published(data: Path) -> dict[str, int]:
    path = data / "video" / "m6_trucks" / "counts.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {f"m6_trucks/{row['file']}": int(row["count"]) for row in csv.DictReader(fh)}


def report(results: list[LineResult], data: Path) -> str:
    """The comparison table as text."""
    lines = [
        f"{'clip':30s} {'line':18s} {'sep':3s} {'counter (+/-)':>15s} {'hand':>5s} {'diff':>5s}"
        f" {'heavy':>6s} {'hand heavy':>10s}"
    ]
    for r in results:
        t = r.truth
        hh = f"{t.heavy}" + (f"-{t.heavy + t.heavy_doubtful}" if t.heavy_doubtful else "")
        got = f"{r.total} (+{r.positive}/-{r.negative})"
        lines.append(
            f"{t.clip:30s} {t.line:18s} {'yes' if t.separable else 'no':3s} {got:>15s}"
            f" {t.vehicles:5d} {r.total - t.vehicles:+5d} {r.heavy:6d} {hh:>10s}"
        )
    lines.append("")
    lines.append("count error (sum |diff| / sum hand) per clip, separable lines")
    clips = list(dict.fromkeys(r.truth.clip for r in results))
    for clip in clips:
        sep = [r for r in results if r.truth.clip == clip and r.truth.separable]
        if sep:
            n = sum(r.truth.vehicles for r in sep)
            e = sum(r.error for r in sep)
            lines.append(f"  {clip:30s} {e:3d} / {n:3d} = {100 * e / n:5.1f} %")
    sep = [r for r in results if r.truth.separable]
    n_sep = sum(r.truth.vehicles for r in sep)
    lines.append(
        f"overall, separable lines: {sum(r.error for r in sep)} / {n_sep} = "
        f"{100 * error_rate(sep):.1f} %   (all lines: {100 * error_rate(results):.1f} %)"
    )
    lines.append(
        f"heavy vehicles outside the hand range, separable lines: "
        f"{sum(r.heavy_error for r in sep)} (counter {sum(r.heavy for r in sep)}, hand "
        f"{sum(r.truth.heavy for r in sep)}-"
        f"{sum(r.truth.heavy + r.truth.heavy_doubtful for r in sep)})"
    )
    published = _published(data)
    m6 = [c for c in clips if c in published]
    if m6:
        lines.append("")
        lines.append("M6 heavy vehicles, both lines: counter, by eye (line crossings), published")
        tot = [0, 0, 0, 0]
        for clip in m6:
            rs = [r for r in results if r.truth.clip == clip]
            c = sum(r.heavy for r in rs)
            lo = sum(r.truth.heavy for r in rs)
            hi = lo + sum(r.truth.heavy_doubtful for r in rs)
            lines.append(f"  {clip:30s} {c:3d} {lo:3d}-{hi:<3d} {published[clip]:3d}")
            for k, v in enumerate((c, lo, hi, published[clip])):
                tot[k] += v
        lines.append(f"  {'all':30s} {tot[0]:3d} {tot[1]:3d}-{tot[2]:<3d} {tot[3]:3d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Count the clips and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("SIGNALBRAIN_SHARED", ROOT.parent / "shared")) / "data"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--width", type=int, default=None, help="processing width override")
    parser.add_argument("--clip", action="append", help="only this clip (repeatable)")
    args = parser.parse_args(argv)
    if not (args.data / "video").is_dir():
        print(f"no clips at {args.data / 'video'}", file=sys.stderr)
        return 2
    results, cpu, frames = run(args.data, args.clip, args.width)
    print(report(results, args.data))
    if cpu > 0:
        print(f"\n{frames} frames, {frames / cpu:.0f} frames per CPU second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
