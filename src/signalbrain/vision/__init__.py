"""Vision: camera video to vehicle counts.

Frames are decoded and shrunk to a processing width, vehicles are detected by background
subtraction (or an optional ONNX detector), tracked with Kalman filters and Hungarian assignment,
and counted at the camera file's lines (by direction) and zones (turning movements entry -> exit,
queue occupancy), split by size class (car / heavy). :mod:`signalbrain.vision.synth` renders
synthetic intersection video with exact ground truth for tests and benchmarks.

The package imports no sibling package except :mod:`signalbrain.io.camera` for the camera file
and :mod:`signalbrain.errors`.
"""

from signalbrain.vision.counts import SIZE_CLASSES, CountRow, QueueSeries, VideoCounts
from signalbrain.vision.frames import FrameReader, VideoError, VideoInfo, probe_video
from signalbrain.vision.pipeline import CountConfig, count_video, processing_size

__all__ = [
    "SIZE_CLASSES",
    "CountConfig",
    "CountRow",
    "FrameReader",
    "QueueSeries",
    "VideoCounts",
    "VideoError",
    "VideoInfo",
    "count_video",
    "probe_video",
    "processing_size",
]
