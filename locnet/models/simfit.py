"""`simfit`: localize by fitting our own simulator to the readings (a physics likelihood).

Path gain is reciprocal, so one simulation FROM each sensor gives the gain from every
pixel TO that sensor: with K sensors, K simulations score every outdoor pixel as a
transmitter candidate. Per pixel p the unknown transmit power is an offset b(p) (the
median of reading - simulated gain over the sensors that heard something), and the
misfit is a robust (Cauchy, scale `sigma_db`) sum over sensors; a sensor at the floor is
censored: it only says "the gain here is at most FLOOR_DB", so it costs only where the
fitted gain would exceed the floor. Logits = -misfit, so the posterior, readouts and
credible regions are those of every heatmap model (docs/posterior.md).

Unknown propagation: the logits are marginalised (log-mean-exp) over `settings`
propagation settings, the paper-like one plus draws from `propagation_params.RANDOM_BOUNDS`.
Our dominant-path search is not exactly symmetric (A -> B can differ from B -> A), so the
`verify_top` best candidates are re-scored with a forward simulation from each of them.

On data our simulator made with the same parameters this is an oracle, not a fair
competitor: it knows how the maps were made. Label it so wherever it is compared.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from locnet.constants import FLOOR_DB, MAP_SIZE
from locnet.data.propagation import simulate_batch_db
from locnet.data.propagation_params import PAPER_LIKE, PropagationParams, random_params
from locnet.models.base import LocalizationModel, Prediction, argmax_xy, check_input
from locnet.models.classical import read_sensors
from locnet.models.registry import register

HEARD_MARGIN_DB = 0.5  # a reading this close to the floor counts as "not heard" (censored)
# Sensor maps kept (bytes; 66 sensors at 0.1 % are 17 MB a setting): moving only the
# transmitter in the Explorer reuses them, and memory stays bounded per model.
CACHE_BYTES = 128 * 2**20


def propagation_settings(count: int, seed: int = 0) -> tuple[PropagationParams, ...]:
    """The paper-like setting, then `count - 1` seeded draws of `random_params`, each
    without shadowing: shadowing is noise around the mean map, which the robust misfit
    absorbs; a drawn shadowing field would be one arbitrary realisation of it."""
    rng = np.random.default_rng(seed)
    draws = (random_params(rng).replace(shadowing_sigma_db=0.0) for _ in range(max(count, 1) - 1))
    return (PAPER_LIKE, *draws)


class SensorMapCache:
    """The K reciprocal maps of a sensor set, per (buildings, sensors, setting): an LRU
    bounded in bytes (the newest entry is always kept)."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._maps: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(
        self, buildings: np.ndarray, sensors_xy: np.ndarray, params: PropagationParams, workers: int
    ) -> np.ndarray:
        key = hashlib.sha1(
            buildings.astype(np.uint8).tobytes()
            + sensors_xy.astype(np.int64).tobytes()
            + repr(params).encode()
        ).hexdigest()
        if key in self._maps:
            self._maps.move_to_end(key)
            return self._maps[key]
        maps = simulate_batch_db(buildings, sensors_xy, params, workers=workers)
        self._maps[key] = maps
        while len(self._maps) > 1 and sum(m.nbytes for m in self._maps.values()) > self.max_bytes:
            self._maps.popitem(last=False)
        return maps

    def clear(self) -> None:
        """Forget every sensor set (benchmarks time a new case this way)."""
        self._maps.clear()


def spread_subset(xy: np.ndarray, first: int, count: int) -> np.ndarray:
    """Indices of `count` points of (N, 2) `xy`, starting at `first`, each next one the
    farthest from those already taken (farthest-point order): a subset that still covers
    the area the points cover."""
    taken = [first]
    nearest = np.linalg.norm(xy - xy[first], axis=1)
    for _ in range(min(count, len(xy)) - 1):
        taken.append(int(nearest.argmax()))
        nearest = np.minimum(nearest, np.linalg.norm(xy - xy[taken[-1]], axis=1))
    return np.array(taken, dtype=np.int64)


def informative_sensors(xy: np.ndarray, db: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most `limit` sensors to simulate from (the cost is one simulation per
    sensor and setting): the sensors that heard the transmitter first, spread from the
    strongest; then floor sensors, spread over the map. All when there are few enough."""
    if limit <= 0 or len(xy) <= limit:
        return np.arange(len(xy))
    heard = np.flatnonzero(db > FLOOR_DB + HEARD_MARGIN_DB)
    floor = np.flatnonzero(db <= FLOOR_DB + HEARD_MARGIN_DB)
    chosen = np.empty(0, dtype=np.int64)
    if len(heard):
        chosen = heard[spread_subset(xy[heard], int(db[heard].argmax()), limit)]
    if len(chosen) < limit and len(floor):
        chosen = np.concatenate([chosen, floor[spread_subset(xy[floor], 0, limit - len(chosen))]])
    return np.sort(chosen)


def misfit(readings_db: torch.Tensor, predicted_db: torch.Tensor, sigma_db: float) -> torch.Tensor:
    """(K,) readings, (K, P) simulated gains at P candidates -> (P,) robust misfit.

    The offset b (unknown transmit power) is fitted per candidate as the median residual
    of the sensors that heard something; floor readings are censored (they cost only
    where predicted + b exceeds the floor); each residual costs log(1 + (r / sigma)^2)."""
    heard = readings_db > FLOOR_DB + HEARD_MARGIN_DB
    residual = readings_db[:, None] - predicted_db
    if heard.any():
        offset = residual[heard].median(dim=0).values
    else:
        offset = torch.zeros(predicted_db.shape[1], dtype=predicted_db.dtype)
    fitted = predicted_db + offset
    error = torch.where(
        heard[:, None], readings_db[:, None] - fitted, (fitted - FLOOR_DB).clamp(min=0.0)
    )
    return torch.log1p((error / sigma_db) ** 2).sum(dim=0)


def reciprocity_gap_db(
    buildings: np.ndarray, points: np.ndarray, params: PropagationParams = PAPER_LIKE
) -> np.ndarray:
    """|gain(A -> B) - gain(B -> A)| in dB for every ordered pair of `points` (N, 2) (x, y),
    both clipped to the floor: how far our simulator is from reciprocal (0 = exact)."""
    maps = simulate_batch_db(buildings, points, params)
    at = maps[:, points[:, 1], points[:, 0]]  # at[i, j]: gain from point i at point j
    return np.abs(at - at.T)


@dataclass(frozen=True)
class SimFitConfig:
    """simfit's options, each with its default (the registry reads them from here)."""

    sigma_db: float = 1.0  # Cauchy scale of the misfit (dB)
    settings: int = 1  # propagation settings marginalised over (1 = paper-like only)
    settings_seed: int = 0
    verify_top: int = 8  # best candidates re-scored by forward simulation (0: off)
    max_sensors: int = 32  # sensors simulated from (informative_sensors; 0: all)
    workers: int = 2  # simulation threads


class SimFit(LocalizationModel):
    """Scores = -misfit of the simulator (marginalised over settings) at every outdoor pixel."""

    def __init__(self, config: SimFitConfig) -> None:
        super().__init__()
        self.config = config
        self.settings = propagation_settings(self.config.settings, self.config.settings_seed)
        self.cache = SensorMapCache()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "simfit", size=MAP_SIZE)
        readings = read_sensors(x)
        out = torch.empty(x.shape[0], MAP_SIZE, MAP_SIZE, dtype=torch.float32)
        for i in range(x.shape[0]):
            buildings = (x[i, 1] < -0.5).cpu().numpy().astype(np.uint8)
            valid = readings.valid[i].cpu()
            sensors = readings.xy[i][valid].cpu().numpy().astype(np.int64)
            db = readings.db[i][valid].cpu().double()
            keep = informative_sensors(sensors, db.numpy(), self.config.max_sensors)
            sensors, db = sensors[keep], db[keep]
            out[i] = self._scores(buildings, sensors, db)
        return out.to(x.device)

    def _scores(self, buildings: np.ndarray, sensors: np.ndarray, db: torch.Tensor) -> torch.Tensor:
        outdoor = torch.from_numpy(buildings == 0).flatten()
        if len(sensors) == 0:
            return torch.where(outdoor, 0.0, -torch.inf).view(MAP_SIZE, MAP_SIZE).float()
        per_setting = []
        for params in self.settings:
            maps = self.cache.get(buildings, sensors, params, self.config.workers)
            predicted = torch.from_numpy(maps.reshape(len(sensors), -1)).double()
            per_setting.append(-misfit(db, predicted, self.config.sigma_db))
        logits = torch.logsumexp(torch.stack(per_setting), dim=0) - np.log(len(per_setting))
        logits = torch.where(outdoor, logits, -torch.inf)
        if self.config.verify_top:
            logits = self._verify(buildings, sensors, db, logits)
        return logits.view(MAP_SIZE, MAP_SIZE).float()

    def _verify(
        self, buildings: np.ndarray, sensors: np.ndarray, db: torch.Tensor, logits: torch.Tensor
    ) -> torch.Tensor:
        """Re-score the best candidates with forward simulations from each (exact direction)."""
        top = torch.topk(logits, min(self.config.verify_top, int(torch.isfinite(logits).sum())))
        flat = top.indices.numpy()
        candidates = np.stack((flat % MAP_SIZE, flat // MAP_SIZE), axis=1)
        exact = []
        for params in self.settings:
            forward = simulate_batch_db(buildings, candidates, params, workers=self.config.workers)
            at_sensors = torch.from_numpy(forward[:, sensors[:, 1], sensors[:, 0]].T).double()
            exact.append(-misfit(db, at_sensors, self.config.sigma_db))
        rescored = torch.logsumexp(torch.stack(exact), dim=0) - np.log(len(exact))
        logits = logits.clone()
        logits[top.indices] = rescored
        return logits

    def predict(self, x: torch.Tensor) -> Prediction:
        logits = self.forward(x)  # -misfit: the posterior is softmax(logits / T) like LocNet's
        return Prediction(
            xy=argmax_xy(logits),
            scores=torch.exp(logits - logits.amax(dim=(1, 2), keepdim=True)),
            logits=logits,
        )


@register(
    "simfit",
    family="physics",
    output="heatmap",
    trainable=False,
    description="simulator fit: our propagation model fitted to the readings by reciprocity "
    "(offset for transmit power, censored floor, Cauchy misfit); an oracle on data made "
    "with the same simulator parameters",
    config=SimFitConfig,
    variants={"robust": {"settings": 4}},
)
def build_simfit(
    *, sigma_db: float, settings: int, settings_seed: int, verify_top: int, max_sensors: int,
    workers: int,
) -> SimFit:
    """simfit with these options (SimFitConfig says what each means and its default)."""
    return SimFit(SimFitConfig(sigma_db, settings, settings_seed, verify_top, max_sensors, workers))
