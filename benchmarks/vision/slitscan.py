"""Slit-scan images of count lines, for counting vehicles by eye (and checking the counter).

For a count line, the pixels along the line are sampled in every frame and stacked as the rows
of one image: x is the position along the line (from its first point to its second), y is time
going down, with a ruler every second. A vehicle crossing the line shows as one streak whose
height is the time it takes to pass, so vehicles can be counted by eye quickly and reliably,
and told apart by length (a truck's streak is much taller than a car's at the same speed).
Stopped vehicles show as vertical bands.

With ``--tracks`` the counter runs on the video too and its line crossings are drawn onto the
slit-scan (a circle at the crossing's place and time, ``+`` / ``-`` for the direction, the track
id and ``H`` when classed heavy; a magenta cross ``ID<OTHER`` for a crossing not counted as a
piece of track OTHER's vehicle; a blue triangle at the left edge for a crossing counted from
the line's time-spatial image, which no track counted), and the still frames get the tracks'
boxes, which shows at a glance which vehicles were missed or counted twice.

Usage::

    .venv/bin/python benchmarks/vision/slitscan.py VIDEO --camera CAMERA.yaml --out DIR \\
        [--line ID] [--frames 100,300] [--tracks] [--panel-s 10] [--panels 3]

Writes ``DIR/<video>_<line>_<k>.png`` (``--panels`` panels of ``--panel-s`` seconds each, side by
side) and ``DIR/<video>_frame<N>.png``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.io.camera import CameraSpec, CountLine, read_camera
from signalbrain.vision import FrameReader, count_video
from signalbrain.vision import pipeline as _pipeline
from signalbrain.vision.counting import Counter
from signalbrain.vision.tracking import Tracker

Image = npt.NDArray[np.uint8]
FONT = cv2.FONT_HERSHEY_SIMPLEX
RULER_W = 34  # left margin for the time labels [px]


@dataclass(frozen=True, slots=True)
class Crossing:
    """One line crossing counted by the counter (source pixels)."""

    track: int
    line: int
    sign: int
    frame: int
    u: float  # position along the line, 0 at its first point, 1 at its second
    heavy: bool
    piece_of: int = 0  # > 0: not counted, a piece of the vehicle of this track
    streak: bool = False  # counted from the time-spatial image (no track counted it)


@dataclass(slots=True)
class Recording:
    """What the counter saw: tracks per frame and the final line crossings."""

    fps: float = 25.0
    tracks: dict[int, list[tuple[int, float, float, float, float, float, float, bool]]] = field(
        default_factory=dict
    )  # frame -> [(track id, cx, cy, x0, y0, x1, y1, confirmed)]
    crossings: list[Crossing] = field(default_factory=list)


def _along(line: CountLine, x: float, y: float) -> float:
    (x0, y0), (x1, y1) = line.points
    dx, dy = x1 - x0, y1 - y0
    return float(((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy))


@contextmanager
def recording_counter(rec: Recording, camera: CameraSpec) -> Iterator[None]:
    """Patch the pipeline's counter with one that records tracks and crossings into ``rec``
    (in the source pixels of ``camera``, also when the pipeline counts in a cropped region)."""

    class _Recorder(Counter):
        def update(self, frame_index: int, tracker: Tracker, mask: Any) -> None:
            super().update(frame_index, tracker, mask)
            s = self.scale
            # the pipeline may hand over the camera shifted into a crop of the frame
            dx, dy = (
                np.array(camera.lines[0].points[0]) - np.array(self.camera.lines[0].points[0])
                if camera.lines
                else (0.0, 0.0)
            )
            shift = np.array([dx, dy, dx, dy])
            rec.fps = self.fps
            rec.tracks[frame_index] = [
                (t.id, *(c / s + shift[:2]), *(t.box / s + shift), t.confirmed)
                for t, c in zip(tracker.tracks, tracker.centers, strict=True)
            ]

        def results(self, seconds: float) -> Any:
            heavy = self.heavy_flags()
            pos: dict[tuple[int, int], tuple[float, float]] = {}
            for f, rows in rec.tracks.items():
                for r in rows:
                    pos[(f, r[0])] = (r[1], r[2])
            for e, hv in zip(self.events, heavy, strict=True):
                if e.kind != "line":
                    continue
                frame = round(e.t_s * self.fps)
                cx, cy = pos.get((frame, e.track), (np.nan, np.nan))
                u = _along(camera.lines[e.index], cx, cy)
                rec.crossings.append(Crossing(e.track, e.index, e.sign, frame, u, hv))
            out = super().results(seconds)
            for e in self.added:  # known only once results() ran
                frame = round(e.t_s * self.fps)
                rec.crossings.append(
                    Crossing(e.track, e.index, e.sign, frame, np.nan, False, streak=True)
                )
            for tid, j, sign, t_s, whole in self.pieces:
                frame = round(t_s * self.fps)
                cx, cy = pos.get((frame, tid), (np.nan, np.nan))
                u = _along(camera.lines[j], cx, cy)
                rec.crossings.append(Crossing(tid, j, sign, frame, u, False, whole))
            return out

    saved = _pipeline.Counter
    _pipeline.Counter = _Recorder  # type: ignore[misc]
    try:
        yield
    finally:
        _pipeline.Counter = saved  # type: ignore[misc]


def _sample_maps(line: CountLine, n: int) -> tuple[npt.NDArray[np.float32], ...]:
    (x0, y0), (x1, y1) = line.points
    t = np.linspace(0.0, 1.0, n, dtype=np.float32)
    mx = (x0 + (x1 - x0) * t).reshape(1, -1).astype(np.float32)
    my = (y0 + (y1 - y0) * t).reshape(1, -1).astype(np.float32)
    return mx, my


def read_slits(
    video: Path, camera: CameraSpec, width_px: int
) -> tuple[dict[str, Image], float, dict[int, Image]]:
    """Sample every line in every frame: ``{line id: (frames, width_px, 3)}``, fps, and every
    frame kept in memory (videos here are short)."""
    maps = {ln.id: _sample_maps(ln, width_px) for ln in camera.lines}
    rows: dict[str, list[Image]] = {ln.id: [] for ln in camera.lines}
    frames: dict[int, Image] = {}
    with FrameReader(video) as reader:
        fps = reader.info.fps
        for idx, frame in reader:
            frames[idx] = frame
            for lid, (mx, my) in maps.items():
                rows[lid].append(
                    np.asarray(cv2.remap(frame, mx, my, cv2.INTER_LINEAR), dtype=np.uint8)[0]
                )
    return {k: np.stack(v) for k, v in rows.items()}, fps, frames


def render_slit(
    slit: Image,
    fps: float,
    *,
    t0_s: float,
    panel_s: float,
    panels: int,
    px_per_frame: int,
    crossings: list[Crossing] | None = None,
    title: str = "",
) -> Image | None:
    """Panels of ``panel_s`` seconds side by side from ``t0_s``; ``None`` past the end."""
    n = len(slit)
    w = slit.shape[1]
    per = round(panel_s * fps)
    first = round(t0_s * fps)
    if first >= n:
        return None
    h = per * px_per_frame
    gap = 10
    out = np.full((h + 24, panels * (w + RULER_W + gap), 3), 255, np.uint8)
    cv2.putText(out, title, (4, 16), FONT, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    for p in range(panels):
        a = first + p * per
        if a >= n:
            break
        b = min(n, a + per)
        x_off = p * (w + RULER_W + gap) + RULER_W
        block = np.repeat(slit[a:b], px_per_frame, axis=0)
        out[24 : 24 + len(block), x_off : x_off + w] = block
        sec0 = int(np.ceil(a / fps - 1e-9))
        sec = sec0
        while sec * fps < b:
            y = 24 + round((sec * fps - a) * px_per_frame)
            cv2.line(out, (x_off - 8, y), (x_off + w - 1, y), (0, 200, 255), 1)
            cv2.putText(
                out, f"{sec}s", (x_off - RULER_W, y + 4), FONT, 0.35, (0, 0, 0), 1, cv2.LINE_AA
            )
            sec += 1
        for c in crossings or ():
            if c.streak and a <= c.frame < b:  # counted from the line's time-spatial image
                y = 24 + (c.frame - a) * px_per_frame
                cv2.drawMarker(out, (x_off - 4, y), (255, 0, 0), cv2.MARKER_TRIANGLE_UP, 8, 2)
                continue
            if not (a <= c.frame < b) or not np.isfinite(c.u):
                continue
            x = x_off + round(np.clip(c.u, 0, 1) * (w - 1))
            y = 24 + (c.frame - a) * px_per_frame
            if c.piece_of:
                cv2.drawMarker(out, (x, y), (255, 0, 255), cv2.MARKER_TILTED_CROSS, 9, 2)
                label = f"{c.track}<{c.piece_of}"
                cv2.putText(out, label, (x + 6, y + 4), FONT, 0.35, (255, 0, 255), 1, cv2.LINE_AA)
                continue
            colour = (0, 0, 255) if c.heavy else (0, 160, 0)
            cv2.circle(out, (x, y), 5, colour, 2)
            label = f"{'+' if c.sign > 0 else '-'}{c.track}{'H' if c.heavy else ''}"
            cv2.putText(out, label, (x + 6, y + 4), FONT, 0.35, colour, 1, cv2.LINE_AA)
    return out


def render_frame(
    frame: Image, camera: CameraSpec, tracks: list[tuple[Any, ...]] | None, scale: int
) -> Image:
    """The frame, scaled up, with the count lines and (if given) the tracks' boxes."""
    img = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    for ln in camera.lines:
        (x0, y0), (x1, y1) = ln.points
        p0 = (round(x0 * scale), round(y0 * scale))
        p1 = (round(x1 * scale), round(y1 * scale))
        cv2.line(img, p0, p1, (0, 0, 255), 1)
        cv2.putText(img, ln.id, (p0[0], p0[1] - 4), FONT, 0.4, (0, 255, 255), 1, cv2.LINE_AA)
    for tid, _cx, _cy, x0, y0, x1, y1, conf in tracks or ():
        colour = (0, 255, 0) if conf else (255, 128, 0)
        a = (round(x0 * scale), round(y0 * scale))
        b = (round(x1 * scale), round(y1 * scale))
        cv2.rectangle(img, a, b, colour, 1)
        cv2.putText(img, str(tid), (a[0], a[1] - 2), FONT, 0.35, colour, 1, cv2.LINE_AA)
    return img


def main(argv: list[str] | None = None) -> int:
    """Write the slit-scan images and still frames."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--camera", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--line", action="append", help="line id (default: every line)")
    parser.add_argument("--frames", default="", help="still frames to render, e.g. 100,300")
    parser.add_argument("--tracks", action="store_true", help="overlay the counter's results")
    parser.add_argument("--panel-s", type=float, default=10.0, help="seconds per panel")
    parser.add_argument("--panels", type=int, default=3, help="panels per image")
    parser.add_argument("--width", type=int, default=300, help="slit width [px]")
    parser.add_argument("--px-per-frame", type=int, default=3)
    parser.add_argument("--start-s", type=float, default=0.0)
    args = parser.parse_args(argv)
    camera = read_camera(args.camera)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.video.stem
    slits, fps, frames = read_slits(args.video, camera, args.width)
    rec = Recording(fps=fps)
    if args.tracks:
        with recording_counter(rec, camera):
            counts = count_video(args.video, camera)
        for lid, v in counts.lines.items():
            print(f"{stem} {lid}: {v} heavy {counts.classes[lid]['heavy']}")
    wanted = args.line or [ln.id for ln in camera.lines]
    unknown = set(wanted) - set(slits)
    if unknown:
        print(f"unknown line(s): {sorted(unknown)}", file=sys.stderr)
        return 2
    for j, ln in enumerate(camera.lines):
        if ln.id not in wanted:
            continue
        cross = [c for c in rec.crossings if c.line == j]
        k = 0
        t0 = args.start_s
        while True:
            img = render_slit(
                slits[ln.id],
                fps,
                t0_s=t0,
                panel_s=args.panel_s,
                panels=args.panels,
                px_per_frame=args.px_per_frame,
                crossings=cross,
                title=f"{stem} line {ln.id} from {t0:.0f} s (x: first point -> second point)",
            )
            if img is None:
                break
            path = args.out / f"{stem}_{ln.id}_{k}.png"
            cv2.imwrite(str(path), img)
            print(path)
            t0 += args.panel_s * args.panels
            k += 1
    for tok in filter(None, args.frames.split(",")):
        n = int(tok)
        if n not in frames:
            continue
        scale = 2 if frames[n].shape[1] < 500 else 1
        img = render_frame(frames[n], camera, rec.tracks.get(n) if args.tracks else None, scale)
        cv2.putText(img, f"frame {n}", (4, 14), FONT, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        path = args.out / f"{stem}_frame{n}.png"
        cv2.imwrite(str(path), img)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
