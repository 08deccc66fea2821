"""Traffic for the synthetic scene: arrivals, a fixed-time signal, car following, trajectories.

Vehicles arrive on every approach as a Poisson process, pick a turn, and follow the Intelligent
Driver Model (Treiber, Hennecke & Helbing 2000) behind the vehicle ahead on the same approach and
behind the stop line while their approach shows red (split phasing: one approach at a time, so
paths through the junction never cross). The result is one trajectory per vehicle sampled at every
frame: centre [m], heading, speed [m/s], and the vehicle's size and class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signalbrain.vision.synth.scene import APPROACHES, Geometry, movement_path

__all__ = ["KINDS", "TrafficConfig", "Trajectory", "simulate"]

FloatArray = npt.NDArray[np.float64]

# kind: (probability, length range [m], width range [m], desired speed [m/s], heavy)
KINDS: dict[str, tuple[float, tuple[float, float], tuple[float, float], float, bool]] = {
    "car": (0.72, (4.1, 4.9), (1.7, 1.9), 11.0, False),
    "van": (0.16, (5.4, 6.4), (1.95, 2.1), 10.0, False),
    "truck": (0.08, (9.5, 12.0), (2.4, 2.55), 8.5, True),
    "bus": (0.04, (11.0, 12.0), (2.5, 2.55), 8.5, True),
}
_TURN_P = {"L": 0.25, "T": 0.5, "R": 0.25}


@dataclass(frozen=True, slots=True)
class TrafficConfig:
    """Demand, signal and driver parameters.

    Attributes
    ----------
    duration_s
        Length of the clip [s].
    fps
        Frame rate [1/s].
    arrivals_vph
        Mean arrival rate per approach [veh/h].
    green_s, clearance_s
        Split phasing: each approach gets ``green_s`` then ``clearance_s`` of red for all.
    min_gap_m, time_gap_s
        IDM jam distance and safe time headway.
    accel_mps2, decel_mps2
        IDM maximum acceleration and comfortable deceleration.
    """

    duration_s: float = 60.0
    fps: float = 15.0
    arrivals_vph: float = 420.0
    green_s: float = 9.0
    clearance_s: float = 3.0
    min_gap_m: float = 2.2
    time_gap_s: float = 1.2
    accel_mps2: float = 1.8
    decel_mps2: float = 2.5


@dataclass(frozen=True, slots=True)
class Trajectory:
    """One vehicle over the frames it exists in.

    ``first_frame`` is the frame of ``xy_m[0]``; arrays have one row per frame.
    """

    id: int
    kind: str
    heavy: bool
    approach: str
    turn: str
    length_m: float
    width_m: float
    color: tuple[int, int, int]
    first_frame: int
    xy_m: FloatArray
    heading: FloatArray
    speed_mps: FloatArray


_COLORS: tuple[tuple[int, int, int], ...] = (
    (40, 40, 190),
    (190, 60, 40),
    (230, 230, 230),
    (25, 25, 25),
    (60, 140, 60),
    (30, 170, 220),
    (150, 150, 160),
    (90, 60, 130),
    (200, 200, 60),
    (20, 90, 200),
)


def _signal_green(t_s: float, approach: str, cfg: TrafficConfig) -> bool:
    cycle = len(APPROACHES) * (cfg.green_s + cfg.clearance_s)
    k = APPROACHES.index(approach)
    u = (t_s % cycle) - k * (cfg.green_s + cfg.clearance_s)
    return 0.0 <= u < cfg.green_s


@dataclass
class _Veh:
    id: int
    kind: str
    approach: str
    turn: str
    length_m: float
    width_m: float
    v0: float
    color: tuple[int, int, int]
    first_frame: int
    s: float
    v: float
    path: int  # index into the path table
    xy: list[FloatArray]
    hd: list[float]
    sp: list[float]
    done: bool = False


def simulate(geo: Geometry, cfg: TrafficConfig, seed: int) -> list[Trajectory]:
    """Run the traffic for ``cfg.duration_s`` and return every vehicle that appeared."""
    rng = np.random.default_rng(seed)
    dt = 1.0 / cfg.fps
    n_frames = round(cfg.duration_s * cfg.fps)
    paths = {}
    for a in APPROACHES:
        for turn in _TURN_P:
            paths[(a, turn)] = movement_path(geo, a, turn)
    keys = list(paths)
    kinds = list(KINDS)
    kind_p = np.array([KINDS[k][0] for k in kinds])
    kind_p = kind_p / kind_p.sum()
    rate = cfg.arrivals_vph / 3600.0
    next_arrival = {a: rng.exponential(1.0 / rate) for a in APPROACHES}
    waiting: dict[str, int] = dict.fromkeys(APPROACHES, 0)
    vehicles: list[_Veh] = []
    finished: list[_Veh] = []
    next_id = 1
    sqrt_ab = np.sqrt(cfg.accel_mps2 * cfg.decel_mps2)
    for frame in range(n_frames):
        t = frame * dt
        for a in APPROACHES:
            while next_arrival[a] <= t:
                waiting[a] += 1
                next_arrival[a] += rng.exponential(1.0 / rate)
            if waiting[a]:
                last = [v for v in vehicles if v.approach == a and not v.done]
                tail = min((v.s - v.length_m / 2 for v in last), default=np.inf)
                kind = kinds[int(rng.choice(len(kinds), p=kind_p))]
                _, lr, wr, v0, _ = KINDS[kind]
                length = float(rng.uniform(*lr))
                if tail - length - cfg.min_gap_m - 6.0 > 0:
                    waiting[a] -= 1
                    turn = str(rng.choice(list(_TURN_P), p=list(_TURN_P.values())))
                    lead_v = min((v.v for v in last), default=v0)
                    vehicles.append(
                        _Veh(
                            next_id,
                            kind,
                            a,
                            turn,
                            length,
                            float(rng.uniform(*wr)),
                            v0 * float(rng.uniform(0.9, 1.1)),
                            _COLORS[int(rng.integers(len(_COLORS)))],
                            frame,
                            0.0,
                            min(v0, lead_v),
                            keys.index((a, turn)),
                            [],
                            [],
                            [],
                        )
                    )
                    next_id += 1
        # accelerations (IDM) for every vehicle, then move
        acc = np.zeros(len(vehicles))
        for i, v in enumerate(vehicles):
            _, s_path, stop_s = paths[keys[v.path]]
            gap = np.inf
            dv = 0.0
            for u in vehicles:
                if u is v or u.approach != v.approach or u.s <= v.s:
                    continue
                g = u.s - v.s - (u.length_m + v.length_m) / 2
                if g < gap and u.s - u.length_m / 2 < stop_s + 14.0:
                    gap, dv = g, v.v - u.v
            front = v.s + v.length_m / 2
            if front <= stop_s + 0.5 and not _signal_green(t, v.approach, cfg):
                d_stop = stop_s - front
                # stop unless already too close to stop comfortably (then go through)
                if d_stop > v.v**2 / (2 * 4.0) - 0.5 and d_stop < gap:
                    gap, dv = max(d_stop, 0.01), v.v
            s_star = cfg.min_gap_m + max(0.0, v.v * cfg.time_gap_s + v.v * dv / (2 * sqrt_ab))
            inter = (s_star / max(gap, 0.01)) ** 2 if np.isfinite(gap) else 0.0
            acc[i] = cfg.accel_mps2 * (1 - (v.v / v.v0) ** 4 - inter)
        for i, v in enumerate(vehicles):
            pts, s_path, _ = paths[keys[v.path]]
            v.v = max(0.0, v.v + acc[i] * dt)
            v.s += v.v * dt
            if v.s >= s_path[-1] - 0.1:
                v.done = True
                continue
            k = int(np.searchsorted(s_path, v.s, side="right")) - 1
            k = min(max(k, 0), len(pts) - 2)
            u = (v.s - s_path[k]) / max(s_path[k + 1] - s_path[k], 1e-9)
            v.xy.append(pts[k] + u * (pts[k + 1] - pts[k]))
            seg = pts[k + 1] - pts[k]
            v.hd.append(float(np.arctan2(seg[1], seg[0])))
            v.sp.append(v.v)
        finished.extend(v for v in vehicles if v.done)
        vehicles = [v for v in vehicles if not v.done]
    out = []
    for v in sorted(finished + vehicles, key=lambda x: x.id):
        if not v.xy:
            continue
        out.append(
            Trajectory(
                v.id,
                v.kind,
                KINDS[v.kind][4],
                v.approach,
                v.turn,
                v.length_m,
                v.width_m,
                v.color,
                v.first_frame,
                np.array(v.xy),
                np.array(v.hd),
                np.array(v.sp),
            )
        )
    return out
