"""Draw the synthetic scene to a video file and measure its exact ground truth.

Each frame is the static scene (grass, asphalt, lane markings, stop lines) with every vehicle as
a rotated box with a roof panel, its cast shadow (a darkened, offset copy of the footprint: the
sun is low and to one side), then global lighting drift (slow sinusoidal gain), camera shake (a
sub-pixel random walk of up to ``shake_px``) and Gaussian sensor noise. The writer is
``cv2.VideoWriter`` with MJPG (``.avi``) or mp4v (``.mp4``), both available in
opencv-python-headless.

Ground truth comes from the same trajectories: line crossings of each vehicle's centre path
(first crossing per line, with direction), entry->exit movements of vehicles seen in both zones,
size class, and per queue zone the fraction of its area covered by vehicle bodies and the number of
vehicles in it (moving or stopped), averaged over one-second samples like the counter's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from signalbrain.io.camera import CameraSpec
from signalbrain.vision.counting import segments_cross
from signalbrain.vision.counts import QueueSeries
from signalbrain.vision.synth.scene import APPROACHES, Geometry, direction
from signalbrain.vision.synth.traffic import Trajectory

__all__ = ["Effects", "GroundTruth", "ground_truth", "render_video"]

Frame = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]
STOP_SPEED_MPS = 0.5


@dataclass(frozen=True, slots=True)
class Effects:
    """Image degradations.

    Attributes
    ----------
    noise_sigma
        Sensor noise standard deviation [grey levels].
    drift_amplitude, drift_period_s
        Lighting gain ``1 + amplitude * sin(2 pi t / period)``.
    shake_px
        Largest camera displacement [px].
    shadow_offset_m
        Shadow displacement relative to the vehicle [m] (x, y).
    shadow_darkness
        Brightness factor inside shadows.
    """

    noise_sigma: float = 4.0
    drift_amplitude: float = 0.12
    drift_period_s: float = 40.0
    shake_px: float = 1.2
    shadow_offset_m: tuple[float, float] = (0.9, 0.6)
    shadow_darkness: float = 0.6


@dataclass(frozen=True)
class GroundTruth:
    """What happened in a synthetic clip, in the counter's terms.

    ``lines``/``movements``/``classes`` follow :class:`~signalbrain.vision.VideoCounts`;
    ``queues`` holds per-zone :class:`~signalbrain.vision.QueueSeries` whose ``stopped`` are the
    vehicles slower than ``STOP_SPEED_MPS``; ``vehicles`` is the number of vehicles drawn.
    """

    lines: dict[str, dict[str, int]]
    movements: dict[str, int]
    classes: dict[str, dict[str, int]]
    queues: dict[str, QueueSeries]
    vehicles: int
    frames: int


def _box(xy: FloatArray, heading: float, length: float, width: float) -> FloatArray:
    c, s = np.cos(heading), np.sin(heading)
    u = np.array([c, s]) * length / 2
    v = np.array([-s, c]) * width / 2
    return np.array([xy + u + v, xy + u - v, xy - u - v, xy - u + v])


def _background(geo: Geometry, rng: np.random.Generator) -> Frame:
    h, w = geo.height_px, geo.width_px
    grass = np.empty((h, w, 3), np.float32)
    grass[:] = (60, 120, 75)
    tex = cv2.GaussianBlur(rng.normal(0, 14, (h, w)).astype(np.float32), (0, 0), 3)
    img = grass + tex[:, :, None]
    road = np.zeros((h, w), np.uint8)
    half = geo.lane_m
    for a in ("N", "E"):
        d = direction(a)
        r = np.array([-d[1], d[0]])
        far = 200.0
        poly = geo.to_px(
            np.array(
                [-d * far + r * half, d * far + r * half, d * far - r * half, -d * far - r * half]
            )
        )
        cv2.fillPoly(road, [np.round(poly).astype(np.int32)], 255)
    asphalt = 105 + cv2.GaussianBlur(rng.normal(0, 6, (h, w)).astype(np.float32), (0, 0), 1.2)
    img = np.where(road[:, :, None] > 0, asphalt[:, :, None] * np.array([1.0, 1.0, 1.03]), img)
    out: Frame = np.clip(img, 0, 255).astype(np.uint8)
    ppm = geo.px_per_m
    # centre lines (dashed) outside the junction, and stop lines
    for a in APPROACHES:
        d = direction(a)
        r = np.array([-d[1], d[0]])
        for k in np.arange(geo.stop_m + 1.0, 200.0, 6.0):
            p = geo.to_px(np.array([-d * k, -d * (k + 3.0)]))
            cv2.line(
                out,
                tuple(np.round(p[0]).astype(int)),
                tuple(np.round(p[1]).astype(int)),
                (225, 225, 225),
                max(1, round(0.15 * ppm)),
                cv2.LINE_AA,
            )
        p = geo.to_px(np.array([-d * geo.stop_m, -d * geo.stop_m + r * geo.lane_m]))
        cv2.line(
            out,
            tuple(np.round(p[0]).astype(int)),
            tuple(np.round(p[1]).astype(int)),
            (235, 235, 235),
            max(1, round(0.4 * ppm)),
            cv2.LINE_AA,
        )
    return out


def render_video(
    path: Path,
    geo: Geometry,
    trajectories: list[Trajectory],
    n_frames: int,
    fps: float,
    effects: Effects,
    seed: int,
) -> None:
    """Write the clip to ``path`` (MJPG for ``.avi``, mp4v otherwise)."""
    rng = np.random.default_rng(seed + 7919)
    base = _background(geo, rng)
    h, w = geo.height_px, geo.width_px
    fourcc = cv2.VideoWriter.fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write video {path}")
    noise_bank = [rng.normal(0, effects.noise_sigma, (h, w, 3)).astype(np.int16) for _ in range(6)]
    by_frame: list[list[tuple[Trajectory, int]]] = [[] for _ in range(n_frames)]
    for tr in trajectories:
        for k in range(len(tr.xy_m)):
            f = tr.first_frame + k
            if 0 <= f < n_frames:
                by_frame[f].append((tr, k))
    shadow_off = np.array(effects.shadow_offset_m)
    shake = np.zeros(2)
    sub = 16.0  # fillPoly sub-pixel precision (shift = 4)
    for f in range(n_frames):
        frame: Frame = base.copy()
        shadow = np.zeros((h, w), np.uint8)
        bodies = []
        for tr, k in by_frame[f]:
            box = _box(tr.xy_m[k], float(tr.heading[k]), tr.length_m, tr.width_m)
            bodies.append((tr, k, box))
            sp = np.round(geo.to_px(box + shadow_off) * sub).astype(np.int32)
            cv2.fillPoly(shadow, [sp], 255, cv2.LINE_AA, shift=4)
        dark = cv2.convertScaleAbs(frame, alpha=effects.shadow_darkness)
        alpha = (shadow.astype(np.float32) / 255.0)[:, :, None]
        frame = np.asarray(frame * (1 - alpha) + dark * alpha, dtype=np.uint8)
        for tr, k, box in bodies:
            poly = np.round(geo.to_px(box) * sub).astype(np.int32)
            cv2.fillPoly(frame, [poly], tr.color, cv2.LINE_AA, shift=4)
            roof = _box(
                tr.xy_m[k]
                - 0.1 * tr.length_m * np.array([np.cos(tr.heading[k]), np.sin(tr.heading[k])]),
                float(tr.heading[k]),
                tr.length_m * (0.45 if not tr.heavy else 0.8),
                tr.width_m * 0.75,
            )
            shade = tuple(int(c * 0.75 + 20) for c in tr.color)
            cv2.fillPoly(
                frame,
                [np.round(geo.to_px(roof) * sub).astype(np.int32)],
                shade,
                cv2.LINE_AA,
                shift=4,
            )
        t = f / fps
        gain = 1.0 + effects.drift_amplitude * np.sin(2 * np.pi * t / effects.drift_period_s)
        frame = np.asarray(cv2.convertScaleAbs(frame, alpha=float(gain)), dtype=np.uint8)
        if effects.shake_px > 0:
            shake = np.clip(shake + rng.normal(0, 0.3, 2), -effects.shake_px, effects.shake_px)
            m = np.array([[1.0, 0.0, shake[0]], [0.0, 1.0, shake[1]]])
            frame = np.asarray(
                cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REFLECT), dtype=np.uint8
            )
        noisy = frame.astype(np.int16) + noise_bank[int(rng.integers(len(noise_bank)))]
        writer.write(np.clip(noisy, 0, 255).astype(np.uint8))
    writer.release()


def _zone_map(geo: Geometry, polys: list[tuple[tuple[float, float], ...]]) -> npt.NDArray[np.int16]:
    out = np.zeros((geo.height_px, geo.width_px), np.int16)
    for i in reversed(range(len(polys))):
        cv2.fillPoly(out, [np.round(np.array(polys[i])).astype(np.int32)], i + 1)
    return out


def ground_truth(
    geo: Geometry,
    camera: CameraSpec,
    trajectories: list[Trajectory],
    n_frames: int,
    fps: float,
    sample_s: float = 1.0,
) -> GroundTruth:
    """Exact counts, movements, classes and queue series of a clip (see module docstring)."""
    a = np.array([ln.points[0] for ln in camera.lines], float)
    b = np.array([ln.points[1] for ln in camera.lines], float)
    lines = {ln.id: {"total": 0, "positive": 0, "negative": 0} for ln in camera.lines}
    classes = {ln.id: {"car": 0, "heavy": 0} for ln in camera.lines}
    entries, exits = camera.zones_of("entry"), camera.zones_of("exit")
    movements = dict.fromkeys(camera.movement_ids, 0)
    emap = _zone_map(geo, [z.polygon for z in entries])
    xmap = _zone_map(geo, [z.polygon for z in exits])
    for tr in trajectories:
        p = geo.to_px(tr.xy_m[: max(0, n_frames - tr.first_frame)])
        if len(p) < 2:
            continue
        crossed, sign = segments_cross(p[:-1], p[1:], a, b)
        for j, ln in enumerate(camera.lines):
            hit = np.nonzero(crossed[:, j])[0]
            if len(hit):
                lines[ln.id]["total"] += 1
                lines[ln.id]["positive" if sign[hit[0], j] > 0 else "negative"] += 1
                classes[ln.id]["heavy" if tr.heavy else "car"] += 1
        ix = np.clip(p[:, 0].astype(int), 0, geo.width_px - 1)
        iy = np.clip(p[:, 1].astype(int), 0, geo.height_px - 1)
        inside = (
            (p[:, 0] >= 0) & (p[:, 0] < geo.width_px) & (p[:, 1] >= 0) & (p[:, 1] < geo.height_px)
        )
        e = np.where(inside, emap[iy, ix], 0)
        x = np.where(inside, xmap[iy, ix], 0)
        first_e = np.nonzero(e)[0]
        if len(first_e):
            k0 = first_e[0]
            later = np.nonzero(x[k0:])[0]
            if len(later):
                mid = f"{entries[e[k0] - 1].id}->{exits[x[k0 + later[0]] - 1].id}"
                movements[mid] += 1
    queues = _queue_truth(geo, camera, trajectories, n_frames, fps, sample_s)
    return GroundTruth(lines, movements, classes, queues, len(trajectories), n_frames)


def _queue_truth(
    geo: Geometry,
    camera: CameraSpec,
    trajectories: list[Trajectory],
    n_frames: int,
    fps: float,
    sample_s: float,
) -> dict[str, QueueSeries]:
    zones = camera.zones_of("queue")
    if not zones:
        return {}
    h, w = geo.height_px, geo.width_px
    masks = []
    for z in zones:
        m = np.zeros((h, w), np.uint8)
        cv2.fillPoly(m, [np.round(np.array(z.polygon)).astype(np.int32)], 1)
        masks.append(m.astype(bool))
    per_frame = np.zeros((n_frames, len(zones), 3))
    by_frame: list[list[tuple[Trajectory, int]]] = [[] for _ in range(n_frames)]
    for tr in trajectories:
        for k in range(len(tr.xy_m)):
            f = tr.first_frame + k
            if 0 <= f < n_frames:
                by_frame[f].append((tr, k))
    for f in range(n_frames):
        body = np.zeros((h, w), np.uint8)
        centres = []
        for tr, k in by_frame[f]:
            box = _box(tr.xy_m[k], float(tr.heading[k]), tr.length_m, tr.width_m)
            cv2.fillPoly(body, [np.round(geo.to_px(box) * 16).astype(np.int32)], 1, shift=4)
            c = geo.to_px(tr.xy_m[k])
            centres.append(
                (
                    int(np.clip(c[0], 0, w - 1)),
                    int(np.clip(c[1], 0, h - 1)),
                    tr.speed_mps[k] < STOP_SPEED_MPS,
                )
            )
        b = body.astype(bool)
        for q, m in enumerate(masks):
            occ = float(np.count_nonzero(b & m)) / float(max(int(np.count_nonzero(m)), 1))
            ins = [bool(stopped) for x, y, stopped in centres if m[y, x]]
            per_frame[f, q] = (occ, len(ins), sum(ins))
    per = max(1, round(sample_s * fps))
    n_samples = int(np.ceil(n_frames / per))
    out = {}
    for q, z in enumerate(zones):
        t_s: list[float] = []
        occ_s: list[float] = []
        veh_s: list[float] = []
        stop_s: list[float] = []
        for s in range(n_samples):
            chunk = per_frame[s * per : (s + 1) * per, q]
            t_s.append(s * sample_s)
            occ_s.append(float(chunk[:, 0].mean()))
            veh_s.append(float(chunk[:, 1].mean()))
            stop_s.append(float(chunk[:, 2].mean()))
        out[z.id] = QueueSeries(
            z.id, sample_s, tuple(t_s), tuple(occ_s), tuple(veh_s), tuple(stop_s)
        )
    return out
