"""Synthetic intersection video with exact ground truth, for tests and benchmarks.

:func:`render_clip` simulates traffic at a signalised four-arm intersection
(:mod:`.traffic`: Poisson arrivals, turns, IDM car following, queues at red), draws it as seen by
a fixed overhead camera with shadows, sensor noise, lighting drift and camera shake
(:mod:`.render`), writes the video and its camera file, and returns both with the ground truth.
Everything is deterministic given the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from signalbrain.io.camera import CameraSpec, write_camera
from signalbrain.vision.synth.render import Effects, GroundTruth, ground_truth, render_video
from signalbrain.vision.synth.scene import Geometry, scene_camera
from signalbrain.vision.synth.traffic import TrafficConfig, Trajectory, simulate

__all__ = [
    "Effects",
    "Geometry",
    "GroundTruth",
    "SynthConfig",
    "SyntheticClip",
    "TrafficConfig",
    "render_clip",
]


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """Scene, traffic and image effects of a synthetic clip."""

    geometry: Geometry = field(default_factory=Geometry)
    traffic: TrafficConfig = field(default_factory=TrafficConfig)
    effects: Effects = field(default_factory=Effects)
    interval_s: float = 30.0
    resize_width: int | None = None


@dataclass(frozen=True)
class SyntheticClip:
    """A rendered clip: the video, its camera file and what truly happened."""

    video: Path
    camera_file: Path
    camera: CameraSpec
    truth: GroundTruth
    trajectories: tuple[Trajectory, ...]
    fps: float


def render_clip(
    path: str | Path, seed: int = 0, config: SynthConfig | None = None
) -> SyntheticClip:
    """Render a synthetic clip to ``path`` (``.avi``: MJPG, ``.mp4``: mp4v).

    The camera file is written next to it as ``<stem>.camera.yaml``.
    """
    cfg = config or SynthConfig()
    video = Path(path)
    geo = cfg.geometry
    fps = cfg.traffic.fps
    n_frames = round(cfg.traffic.duration_s * fps)
    trajectories = simulate(geo, cfg.traffic, seed)
    camera = scene_camera(
        geo, camera=f"synthetic-{seed}", interval_s=cfg.interval_s, resize_width=cfg.resize_width
    )
    render_video(video, geo, trajectories, n_frames, fps, cfg.effects, seed)
    camera_file = video.with_name(video.stem + ".camera.yaml")
    write_camera(camera, camera_file)
    truth = ground_truth(geo, camera, trajectories, n_frames, fps)
    return SyntheticClip(video, camera_file, camera, truth, tuple(trajectories), fps)
