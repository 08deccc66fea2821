"""VideoCounts: exact JSON round trip."""

from __future__ import annotations

import json

from signalbrain.vision.counts import CountRow, QueueSeries, VideoCounts


def make_counts() -> VideoCounts:
    return VideoCounts(
        video="a.avi",
        camera="cam",
        frames=10,
        corrupt_frames=1,
        seconds=0.1 + 0.2,
        processing_s=1.0 / 3.0,
        bins=(CountRow(0.0, 60.0, "line", "L", 3), CountRow(0.0, 60.0, "movement", "a->b", 1)),
        lines={"L": {"total": 3, "positive": 2, "negative": 1}},
        movements={"a->b": 1},
        queues={"q": QueueSeries("q", 1.0, (0.0, 1.0), (0.25, 1 / 3), (1.0, 2.5), (0.0, 2.0))},
        classes={"L": {"car": 2, "heavy": 1}},
        movement_classes={"a->b": {"car": 1, "heavy": 0}},
        video_fps=15.0,
        frame_size=(320, 240),
    )


def test_round_trip_through_json_is_exact() -> None:
    counts = make_counts()
    again = VideoCounts.from_dict(json.loads(json.dumps(counts.to_dict())))
    assert again == counts
    assert again.queues["q"].occupancy[1] == 1 / 3


def test_derived_values() -> None:
    counts = make_counts()
    assert counts.processed_fps == 30.0
    assert counts.queues["q"].mean_occupancy == (0.25 + 1 / 3) / 2
