"""Saturation flow of movements with the usual HCM adjustments.

The adjusted saturation flow of a lane group is ``s = s0 N f_HV f_LT f_RT ...`` (HCM 7th ed.,
ch. 19, eq. 19-8); lane width, grade, parking, bus blockage and area type are left out (1.0).
``s0`` is the link's ``sat_flow_vphpl`` (1,900 pc/h/ln by default).

Factors
-------
heavy vehicles
    ``f_HV = 1 / (1 + P_HV (E_T - 1))`` with passenger-car equivalent ``E_T = 2.0``
    (HCM 2010 eq. 18-5).
protected left turn
    ``f_LT = 0.95`` (HCM 7th ed.: 1 / E_L with E_L = 1.05).
right turn
    ``f_RT = 0.85`` (1 / E_R with E_R = 1.18, exclusive lane, no pedestrians).
permitted left turn
    a left turn that only yields gets the gap-acceptance capacity across the opposing flow
    ``v_o``: ``s_p = v_o exp(-v_o t_c / 3600) / (1 - exp(-v_o t_f / 3600))`` with critical
    headway ``t_c = 4.5 s`` and follow-up headway ``t_f = 2.5 s`` (Drew 1968; a simplified
    form of the HCM permitted-left model), capped by the protected saturation flow; with no
    opposing flow it is the protected value.
"""

from __future__ import annotations

import math

__all__ = [
    "HEAVY_VEHICLE_PCE",
    "PERMITTED_CRITICAL_HEADWAY_S",
    "PERMITTED_FOLLOW_UP_S",
    "PROTECTED_LEFT_FACTOR",
    "RIGHT_TURN_FACTOR",
    "heavy_vehicle_factor",
    "permitted_left_sat_vph",
    "turn_factor",
]

HEAVY_VEHICLE_PCE = 2.0
PROTECTED_LEFT_FACTOR = 0.95
RIGHT_TURN_FACTOR = 0.85
PERMITTED_CRITICAL_HEADWAY_S = 4.5
PERMITTED_FOLLOW_UP_S = 2.5


def heavy_vehicle_factor(heavy_share: float, pce: float = HEAVY_VEHICLE_PCE) -> float:
    """``f_HV = 1 / (1 + P_HV (E_T - 1))`` for a heavy-vehicle share in [0, 1]."""
    return 1.0 / (1.0 + heavy_share * (pce - 1.0))


def turn_factor(turn: str) -> float:
    """Saturation-flow factor of a turn type: 0.95 left/U, 0.85 right, 1.0 through."""
    if turn in ("L", "U"):
        return PROTECTED_LEFT_FACTOR
    if turn == "R":
        return RIGHT_TURN_FACTOR
    return 1.0


def permitted_left_sat_vph(
    opposing_vph: float,
    protected_sat_vph: float,
    critical_headway_s: float = PERMITTED_CRITICAL_HEADWAY_S,
    follow_up_s: float = PERMITTED_FOLLOW_UP_S,
) -> float:
    """Saturation flow [veh/h] of a left turn that yields to ``opposing_vph`` [veh/h].

    Gap acceptance with exponential headways: the number of left turns that fit in the gaps of
    the opposing stream per hour of green. Never more than ``protected_sat_vph``.
    """
    if opposing_vph < 1e-6:
        return protected_sat_vph
    v = opposing_vph / 3600.0
    s = opposing_vph * math.exp(-v * critical_headway_s) / (1.0 - math.exp(-v * follow_up_s))
    return min(protected_sat_vph, s)
