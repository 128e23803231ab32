"""The Environment record: one 256 x 256 m building map and where it comes from.

Its own module so that both sources of maps, the real tiles (`cities`) and the generator
(`procedural`), can build it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Environment:
    """One 256 x 256 m city map.

    buildings: uint8 (256, 256), 1 = building, indexed [row, col] = [y, x], row 0 = north,
    read-only (shared between callers). origin_m: (x, y) in metres of the tile's west / north
    edge in its source's coordinate system ((0, 0) for procedural maps). group: the unit a
    data split keeps together (the city for real tiles, the map itself for procedural).
    """

    env_id: str
    city: str
    source: str
    origin_m: tuple[float, float]
    group: str
    buildings: np.ndarray = field(repr=False, compare=False)
    attribution: str = ""

    @property
    def building_fraction(self) -> float:
        """Share of pixels that are buildings (0..1)."""
        return float(self.buildings.mean())
