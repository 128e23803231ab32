"""The simulator's settings: every uncertain constant of the propagation model in one record.

`PropagationParams` (units in the names), `PAPER_LIKE` (the fixed setting of the
reproduction) and `random_params` (domain randomisation within `RANDOM_BOUNDS`). Its own
module because both the path search (`dominant_path`) and the map builder (`propagation`)
read it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from locnet.errors import LocNetError


@dataclass(frozen=True)
class PropagationParams:
    """Every constant of the simulator (units in the names or comments).

    Defaults are PAPER_LIKE. Exponents and corner losses follow the dominant path
    model's usual ranges (Wölfle & Landstorfer; WinProp defaults are of this order);
    the other values are chosen so maps look like RadioMapSeer's DPM maps.
    """

    frequency_hz: float = 5.9e9  # RadioMapSeer carrier; free-space loss at 1 m = 47.86 dB
    los_exponent: float = 2.0  # free space in line of sight (20 dB/decade)
    nlos_exponent: float = 3.5  # whole-path exponent once the path has turned full_nlos_turn_deg
    full_nlos_turn_deg: float = 90.0  # accumulated turn (deg) at which nlos_exponent applies fully
    corner_loss_db: float = 14.0  # loss of one right-angle (90 deg) turn, dB
    corner_loss_shape: float = 1.0  # f(phi) = corner_loss_db * (phi / 90) ** shape (0 dB straight)
    corner_loss_max_db: float = 22.0  # cap of one corner's loss, dB (sharp turns)
    max_turn_deg: float = 150.0  # widest turn a corner diffracts into, deg
    max_interactions: int = 3  # most corners on a dominant path (more always ends at the floor)
    waveguide_db: float = 3.0  # wave-guiding gain in a fully enclosed street canyon, dB
    canyon_radius_m: float = 10.0  # window radius (m) measuring how enclosed a street is
    wall_loss_db: float = 25.0  # per wall crossed by the direct ray (inf disables penetration)
    penetration_db_per_m: float = 3.0  # extra loss per metre travelled inside buildings
    gain_offset_db: float = 0.0  # shifts every gain (antenna/power uncertainty; floor share)
    shadowing_sigma_db: float = 0.0  # log-normal shadowing std, dB (0: none)
    shadowing_corr_m: float = 20.0  # shadowing correlation length (1/e), m

    def __post_init__(self) -> None:
        positive = ("frequency_hz", "los_exponent", "full_nlos_turn_deg", "max_turn_deg",
                    "canyon_radius_m", "shadowing_corr_m", "corner_loss_shape")
        non_negative = ("corner_loss_db", "corner_loss_max_db", "waveguide_db", "wall_loss_db",
                        "penetration_db_per_m", "shadowing_sigma_db", "max_interactions")
        for name in positive:
            if not getattr(self, name) > 0:
                raise LocNetError(f"PropagationParams.{name}={getattr(self, name)!r} must be > 0")
        for name in non_negative:
            if not getattr(self, name) >= 0:
                raise LocNetError(f"PropagationParams.{name}={getattr(self, name)!r} must be >= 0")
        if self.nlos_exponent < self.los_exponent:
            raise LocNetError(
                f"PropagationParams.nlos_exponent={self.nlos_exponent} is below los_exponent="
                f"{self.los_exponent}; a path that turns cannot decay slower than line of sight"
            )
        if self.max_turn_deg > 180:
            raise LocNetError(f"PropagationParams.max_turn_deg={self.max_turn_deg} must be <= 180")

    def corner_loss(self, turn_deg: np.ndarray) -> np.ndarray:
        """Loss (dB) of one corner as a function of its turn angle (degrees)."""
        turn = np.asarray(turn_deg, dtype=np.float32) / np.float32(90.0)
        if self.corner_loss_shape != 1.0:
            turn = turn ** np.float32(self.corner_loss_shape)
        loss = np.float32(self.corner_loss_db) * turn
        return np.minimum(loss, np.float32(self.corner_loss_max_db))

    def replace(self, **changes) -> PropagationParams:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


PAPER_LIKE = PropagationParams()

#: Ranges (inclusive) that `random_params` draws from, uniformly.
RANDOM_BOUNDS: dict[str, tuple[float, float]] = {
    "los_exponent": (1.8, 2.4),
    "nlos_exponent": (3.0, 4.5),
    "full_nlos_turn_deg": (60.0, 120.0),
    "corner_loss_db": (8.0, 22.0),
    "corner_loss_shape": (0.7, 1.5),
    "corner_loss_max_db": (18.0, 30.0),
    "waveguide_db": (0.0, 6.0),
    "wall_loss_db": (12.0, 30.0),
    "penetration_db_per_m": (1.0, 3.0),
    "gain_offset_db": (-6.0, 4.0),
    "shadowing_sigma_db": (0.0, 6.0),
    "shadowing_corr_m": (5.0, 40.0),
}


def random_params(rng: np.random.Generator) -> PropagationParams:
    """Draw one setting from RANDOM_BOUNDS (domain randomisation; frequency stays 5.9 GHz).

    The exponents, corner losses and gain offset together set the share of the map
    left at the floor, so it varies from map to map as well.
    """
    values = {name: float(rng.uniform(lo, hi)) for name, (lo, hi) in RANDOM_BOUNDS.items()}
    values["corner_loss_max_db"] = max(values["corner_loss_max_db"], values["corner_loss_db"])
    values["nlos_exponent"] = max(values["nlos_exponent"], values["los_exponent"])
    return PropagationParams(**values)
