"""Heatmap networks on measured RSS (docs/real-data.md): LocNet, a narrow TL;DL and a
fingerprint MLP, each trained on a campaign's training side within a CPU budget, each
answering with logits over a square raster of `size` x `size` cells over the batch's area
(POWDER: 64 cells of 50 m, each 4 x 4 pixels of the campus grid).

RSS is uncalibrated per receiver, so a reading is its height above that receiver's own
floor: (rss - floor_j) / `scale_db`, clipped to [0, 1], where floor_j is the receiver's 5th
percentile on the data it was fitted on (mostly its noise floor). Receivers never heard
there have no floor and are left out.

- `rss-locnet`, `rss-tldl`: the maps' 2-channel input (docs/architecture.md, "Model
  input") on the raster, the no-environment variant since no building map exists:
  channel 0 = the reading, channel 1 = the mask (1 at a receiver). A fixed receiver that
  heard nothing is a 0 reading at its cell (no signal is information, as at the simulated
  maps' floor); a shuttle is placed only where it reported.
- `rss-mlp`: the receiver-indexed fingerprint (each fixed receiver's reading and whether
  it heard) through two hidden layers to the raster's logits (a rank-`rank` last layer).

Training: a Gaussian target of `target_sigma` cells around the transmitter, with LocNet's
and the MLP's logits trained as the posterior they become (the cross-entropy of
softmax(logits) to the normalised target) and TL;DL with its own MSE; AdamW and a cosine
learning rate over a budget of process CPU seconds, so a run costs the same on a busy or an
idle machine. `rss-locnet-sim` first trains on samples from our simulator at the
campaign's scale (`rss_sim`), then on the real ones, in the same total budget (the
simulation counts in it). The posterior's temperature and readouts come from
`locnet.posterior` in `python -m locnet evaluate-powder` (`locnet.measurements.learned`,
which keeps the fitted models under checkpoints/real/); `predict` here answers with the
mode (the most probable cell).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from locnet.errors import LocNetError
from locnet.models.base import LocalizationModel, Prediction, argmax_xy, gaussian_target
from locnet.models.losses import LOSSES
from locnet.models.measurement import MeasuredBatch, MeasurementModel
from locnet.models.registry import MEASUREMENT_FAMILY, create_model, register
from locnet.models.rss_sim import simulate_like
from locnet.models.tldl import TLDL, TLDLConfig

FLOOR_PERCENTILE = 5.0  # a receiver's floor: this percentile of its readings (dB)
PRETRAIN = ("none", "sim")
SOFTMAX = "softmax"  # train the logits as the posterior: cross-entropy to the soft target
EVAL_CHUNK = 64  # samples per forward pass when answering (bounds memory)
MADE_BY = (
    "python -m locnet evaluate-powder --models {model} --splits SPLIT --fit missing"
)


@dataclass(frozen=True)
class RasterTraining:
    """How measured samples are rasterised and how long a network trains on them.

    size: raster side in cells over the batch's area (POWDER: 64 -> 50 m cells; a
    multiple of 16). target_sigma: the Gaussian target's sigma in cells. scale_db: dB
    above a receiver's floor that reads 1.0. cpu_minutes: the training budget in process
    CPU minutes (all of fit, simulation included). receiver_dropout: share of receivers
    hidden from each training sample (robustness to fewer receivers). lr: AdamW's peak
    learning rate (cosine to 0 over the budget). threads: torch threads while training (the
    budget is CPU time, and one thread gives these small networks the most samples per
    CPU second). checks: how often (evenly over the budget) the held-out samples given to
    `fit` are scored; the weights with the least held-out mean error of the mode are kept
    (early stopping; the checks count in the budget)."""

    size: int = 64
    target_sigma: float = 1.5
    scale_db: float = 60.0
    cpu_minutes: float = 10.0
    batch_size: int = 16
    lr: float = 3e-3
    weight_decay: float = 1e-4
    receiver_dropout: float = 0.0
    seed: int = 0
    threads: int = 1
    checks: int = 10


@dataclass(frozen=True)
class RssLocNetOptions(RasterTraining):
    """LocNet (no-environment variant) on the raster. loss: 'softmax' (the posterior's
    cross-entropy) or one of LocNet's own (focal, bbce, ft, mse on the sigmoid heatmap).
    pretrain: 'none' (real data only) or 'sim' (`pretrain_share` of the budget on
    `sim_samples` simulated samples first)."""

    loss: str = SOFTMAX
    pretrain: str = "none"
    pretrain_share: float = 0.5
    sim_samples: int = 2048


@dataclass(frozen=True)
class RssTldlOptions(RasterTraining):
    """TL;DL's U-Net at widths width x (1, 2, 4, 8, 16) (the paper's: 64), MSE to a Gaussian."""

    width: int = 8


@dataclass(frozen=True)
class RssMlpOptions(RasterTraining):
    """The fingerprint MLP: `hidden` units in two layers (GELU, dropout), then a rank-`rank`
    map to the raster's logits; cheap, so it trains in 2 CPU minutes with batches of 64."""

    cpu_minutes: float = 2.0
    batch_size: int = 64
    target_sigma: float = 1.0
    hidden: int = 256
    rank: int = 64
    dropout: float = 0.1


@dataclass(frozen=True)
class Raster:
    """Cells of a square raster over an area: origin (x0, y0) in metres of the area's
    corner, side `size` cells of `cell_m` metres; cell (c, r) is centred at
    (x0 + (c + 0.5) cell_m, y0 + (r + 0.5) cell_m)."""

    x0: float
    y0: float
    cell_m: float
    size: int

    @classmethod
    def over(cls, area_m: tuple[float, float, float, float], size: int) -> Raster:
        x0, y0, x1, y1 = area_m
        return cls(float(x0), float(y0), max(x1 - x0, y1 - y0) / size, int(size))

    def cells(self, xy_m: np.ndarray) -> np.ndarray:
        """(..., 2) metres -> (..., 2) int cell (column, row); off the raster stays off it."""
        return np.floor((xy_m - (self.x0, self.y0)) / self.cell_m).astype(np.int64)

    def metres(self, cells_xy: np.ndarray) -> np.ndarray:
        """(..., 2) float cell coordinates (x = column, y = row) -> metres."""
        return (np.asarray(cells_xy, dtype=np.float64) + 0.5) * self.cell_m + (self.x0, self.y0)


def soft_target_nll(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of softmax(logits) over each map to the target normalised to sum 1
    (nats per sample, mean over the batch): the posterior's negative log-likelihood of a
    transmitter spread over the target. logits (B, H, W), target (B, 1, H, W)."""
    weight = target.flatten(1)
    weight = weight / weight.sum(dim=1, keepdim=True)
    return -(weight * torch.log_softmax(logits.flatten(1).float(), dim=1)).sum(dim=1).mean()


class RssHeatmap(MeasurementModel):
    """A network (`network`, a LocalizationModel whose logits live on the raster) on
    measured RSS. Subclasses say how a batch becomes the network's input (`inputs`) and
    build the network for R receivers (`build`).

    Fitted state: the receivers, their floors (`floor_db`, NaN = never heard), the
    training centre and the network's weights; `state_dict` holds them as tensors (the
    receiver names travel beside them in the checkpoint). `calibration` is what
    locnet.measurements.learned attached (a Calibration dict) or None."""

    name = "rss-heatmap"

    def __init__(self, options: RasterTraining) -> None:
        super().__init__()
        if options.size < 16 or options.size % 16:
            raise LocNetError(f"{self.name}: size must be a multiple of 16, got {options.size}")
        if not (options.cpu_minutes > 0 and options.scale_db > 0 and options.batch_size > 0):
            raise LocNetError(f"{self.name}: cpu_minutes, scale_db, batch_size must be > 0")
        if not 0 <= options.receiver_dropout < 1:
            raise LocNetError(f"{self.name}: receiver_dropout must be in [0, 1)")
        self.settings = options
        self.network: LocalizationModel | None = None
        self.floor_db = np.zeros(0)
        self.held_out: tuple[MeasuredBatch, np.ndarray] | None = None
        self.history: list[dict] = []  # one entry per training stage
        self.calibration: dict | None = None

    def build(self, n_receivers: int) -> LocalizationModel:
        raise NotImplementedError

    def inputs(self, batch: MeasuredBatch, rng: np.random.Generator | None = None) -> torch.Tensor:
        """The network's input for `batch`; with `rng`, receiver_dropout hides receivers."""
        raise NotImplementedError

    def training_loss(self, x: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
        """Scalar loss for input x and the transmitters' cells (B, 2) (softmax by default)."""
        target = gaussian_target(cells, self.settings.size, self.settings.target_sigma)
        return soft_target_nll(self.network(x)[:, 0], target)

    # --- the raster and the readings ----------------------------------------------------

    def raster(self, batch: MeasuredBatch) -> Raster:
        return Raster.over(batch.area_m, self.settings.size)

    def set_floors(self, batch: MeasuredBatch) -> None:
        """Each receiver's floor: the FLOOR_PERCENTILE of its readings in `batch` (NaN if none)."""
        heard = batch.heard
        self.floor_db = np.full(len(batch.receivers), np.nan)
        for j in np.flatnonzero(heard.any(axis=0)):  # one per receiver (tens), not per pixel
            self.floor_db[j] = np.percentile(batch.rss_db[heard[:, j], j], FLOOR_PERCENTILE)

    def levels(
        self, batch: MeasuredBatch, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(N, R) each reading's height above its receiver's floor in [0, 1] (0 unheard),
        (N, R) heard (a known floor), (N, R) shown: heard, or a fixed receiver with a floor
        that heard nothing; with `rng`, receiver_dropout hides some of them."""
        known = np.isfinite(self.floor_db)[None, :]
        heard = batch.heard & known
        level = np.clip((batch.rss_db - self.floor_db[None, :]) / self.settings.scale_db, 0, 1)
        level = np.where(heard, level, 0.0).astype(np.float32)
        placed = np.isfinite(batch.xy_m).all(axis=2)
        shown = heard | (batch.fixed[None, :] & known & placed)
        if rng is not None and self.settings.receiver_dropout > 0:
            shown &= rng.random(shown.shape) >= self.settings.receiver_dropout
        return level, heard & shown, shown

    def encode(
        self, batch: MeasuredBatch, rng: np.random.Generator | None = None
    ) -> torch.Tensor:
        """(N, 2, size, size) float32: the readings on the raster, no-environment encoding
        (channel 0 the level, channel 1 the mask); two receivers in a cell keep the higher."""
        grid = self.raster(batch)
        size = grid.size
        level, _, shown = self.levels(batch, rng)
        cells = grid.cells(np.nan_to_num(batch.xy_m, nan=-1e12))
        shown = shown & ((cells >= 0) & (cells < size)).all(axis=2)
        rows, cols = np.nonzero(shown)
        flat = cells[rows, cols, 1] * size + cells[rows, cols, 0]
        x = np.zeros((len(batch), 2, size * size), dtype=np.float32)
        np.maximum.at(x[:, 0], (rows, flat), level[rows, cols])
        x[rows, 1, flat] = 1.0
        return torch.from_numpy(x.reshape(len(batch), 2, size, size))

    def target_cells(self, batch: MeasuredBatch, truth_m: np.ndarray) -> torch.Tensor:
        """(N, 2) long (column, row) of each transmitter's cell, clamped onto the raster."""
        cells = self.raster(batch).cells(np.asarray(truth_m, dtype=np.float64))
        return torch.from_numpy(np.clip(cells, 0, self.settings.size - 1))

    # --- training ----------------------------------------------------------------------

    def fit(
        self,
        batch: MeasuredBatch,
        truth_m: np.ndarray,
        held_out: tuple[MeasuredBatch, np.ndarray] | None = None,
    ) -> RssHeatmap:
        """Train on (batch, truth_m); `held_out` (batch, truth in metres), never the test
        side, picks the weights kept (early stopping) in the stage on real data."""
        self.held_out = held_out
        return super().fit(batch, truth_m)

    def _fit(self, batch: MeasuredBatch, truth_m: np.ndarray) -> None:
        started = time.process_time()
        end = started + self.settings.cpu_minutes * 60.0
        self.train_on(batch, truth_m, end, "real", self.held_out)

    def held_out_error_m(self, held_out: tuple[MeasuredBatch, np.ndarray]) -> float:
        """Mean error (m) of the mode on held-out samples (the network in eval mode)."""
        batch, truth_m = held_out
        self.network.eval()
        error = float(np.hypot(*(self.predict(batch) - truth_m).T).mean())
        self.network.train()
        return error

    def train_on(
        self,
        batch: MeasuredBatch,
        truth_m: np.ndarray,
        until_cpu_s: float,
        stage: str,
        held_out: tuple[MeasuredBatch, np.ndarray] | None = None,
        checks: int | None = None,
    ) -> dict:
        """Set the floors from `batch`, then train until process CPU time reaches
        `until_cpu_s` (AdamW, cosine learning rate over this stage), keeping the weights
        best on `held_out` if given (scored `checks` times, default the option's). Appends
        and returns the stage's record (samples seen, CPU and wall seconds, last loss, the
        held-out checks)."""
        self.set_floors(batch)
        opts = self.settings
        torch.manual_seed(opts.seed + len(self.history))
        if self.network is None:
            self.network = self.build(len(batch.receivers))
        rng = np.random.default_rng([opts.seed, len(self.history)])
        targets = self.target_cells(batch, truth_m)
        threads = torch.get_num_threads()
        torch.set_num_threads(max(1, int(opts.threads)))
        try:
            n_checks = self.settings.checks if checks is None else checks
            record = self._steps(batch, targets, until_cpu_s, rng, stage, held_out, n_checks)
        finally:
            torch.set_num_threads(threads)
        self.history.append(record)
        return record

    def _steps(
        self, batch: MeasuredBatch, targets: torch.Tensor, until_cpu_s: float,
        rng: np.random.Generator, stage: str, held_out: tuple[MeasuredBatch, np.ndarray] | None,
        n_checks: int,
    ) -> dict:
        opts = self.settings
        optimizer = torch.optim.AdamW(
            self.network.parameters(), lr=opts.lr, weight_decay=opts.weight_decay
        )
        cpu0, wall0 = time.process_time(), time.perf_counter()
        span = max(until_cpu_s - cpu0, 1e-9)
        seen, losses, order, at = 0, [], rng.permutation(len(batch)), 0
        checks, best, next_check = [], (math.inf, None, None), 1
        self.network.train()
        while (now := time.process_time()) < until_cpu_s:
            if held_out is not None and (now - cpu0) >= next_check * span / max(n_checks, 1):
                next_check += 1
                error = self.held_out_error_m(held_out)
                checks.append({"cpu_s": round(now - cpu0, 1), "seen": seen, "mean_m": round(error, 2)})
                if error < best[0]:
                    best = (error, copy.deepcopy(self.network.state_dict()), checks[-1])
            for group in optimizer.param_groups:
                group["lr"] = opts.lr * 0.5 * (1 + math.cos(math.pi * min((now - cpu0) / span, 1)))
            if at + opts.batch_size > len(order):
                order, at = rng.permutation(len(batch)), 0
            idx = np.sort(order[at : at + opts.batch_size])
            at += opts.batch_size
            loss = self.training_loss(self.inputs(batch.take(idx), rng), targets[idx])
            if not torch.isfinite(loss):
                raise LocNetError(
                    f"{self.name}: the training loss became {float(loss)} in stage {stage}; "
                    "lower lr and fit again"
                )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(idx)
            losses.append(float(loss.detach()))
        kept = "last"
        if held_out is not None:
            error = self.held_out_error_m(held_out)
            checks.append({"cpu_s": round(time.process_time() - cpu0, 1), "seen": seen,
                           "mean_m": round(error, 2)})  # fmt: skip
            if best[1] is not None and best[0] < error:
                self.network.load_state_dict(best[1])
                kept = best[2]
        self.network.eval()
        return {
            "stage": stage,
            "samples": len(batch),
            "samples_seen": seen,
            "cpu_s": round(time.process_time() - cpu0, 2),
            "wall_s": round(time.perf_counter() - wall0, 2),
            "threads": torch.get_num_threads(),
            "final_loss": round(float(np.mean(losses[-20:])), 5) if losses else None,
            "held_out_checks": checks,
            "kept": kept,
        }

    # --- answers -----------------------------------------------------------------------

    def logits(self, batch: MeasuredBatch) -> torch.Tensor:
        """(N, size, size) the network's logits (higher: more likely), chunked."""
        self.check(batch)
        out = []
        with torch.inference_mode():
            for start in range(0, len(batch), EVAL_CHUNK):
                x = self.inputs(batch.take(np.arange(start, min(start + EVAL_CHUNK, len(batch)))))
                out.append(self.network.predict(x).logits.float())
        return torch.cat(out) if out else torch.zeros(0, self.settings.size, self.settings.size)

    def predict(self, batch: MeasuredBatch) -> np.ndarray:
        """(N, 2) metres: the most probable cell's centre (the posterior's mode)."""
        logits = self.logits(batch)
        flat = logits.flatten(1).argmax(dim=1).numpy()
        size = self.settings.size
        return self.raster(batch).metres(np.stack((flat % size, flat // size), axis=1))

    # --- state ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The network's weights plus the fitted floors and centre, as tensors (a
        checkpoint's state_dict; floors never heard are 0 with floor_known False)."""
        if self.network is None:
            raise LocNetError(f"{self.name}: call fit(training batch, truth) before saving")
        state = {f"network.{k}": v for k, v in self.network.state_dict().items()}
        known = np.isfinite(self.floor_db)
        state["floor_db"] = torch.from_numpy(np.where(known, self.floor_db, 0.0))
        state["floor_known"] = torch.from_numpy(known)
        state["centre_m"] = torch.from_numpy(np.asarray(self.centre_m, dtype=np.float64))
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor], receivers: tuple[str, ...]) -> None:
        """Restore what state_dict saved, for the receivers (in column order) it was fitted on."""
        known = state["floor_known"].numpy().astype(bool)
        if known.shape != (len(receivers),):
            raise LocNetError(
                f"{self.name}: the saved floors are for {known.size} receivers, not {len(receivers)}"
            )
        self.network = self.build(len(receivers))
        network = {k.removeprefix("network."): v for k, v in state.items() if k.startswith("network.")}
        self.network.load_state_dict(network, strict=True)
        self.network.eval()
        self.floor_db = np.where(known, state["floor_db"].numpy(), np.nan)
        self.centre_m = state["centre_m"].numpy().astype(np.float64)
        self.receivers = tuple(receivers)


class RssLocNet(RssHeatmap):
    """LocNet, no-environment variant, on rasterised measured RSS; optionally pre-trained
    on our simulator at the campaign's scale."""

    name = "rss-locnet"

    def __init__(self, options: RssLocNetOptions) -> None:
        if options.pretrain not in PRETRAIN:
            raise LocNetError(f"rss-locnet: pretrain must be one of {', '.join(PRETRAIN)}")
        if options.loss != SOFTMAX and options.loss not in LOSSES:
            raise LocNetError(f"rss-locnet: loss must be {SOFTMAX} or one of {', '.join(LOSSES)}")
        if not 0 < options.pretrain_share < 1 or options.sim_samples < options.batch_size:
            raise LocNetError("rss-locnet: pretrain_share in (0, 1), sim_samples >= batch_size")
        super().__init__(options)

    def build(self, n_receivers: int) -> LocalizationModel:
        loss = self.settings.loss if self.settings.loss in LOSSES else "focal"
        return create_model("locnet", env=False, loss=loss, target_sigma=self.settings.target_sigma)

    def inputs(self, batch: MeasuredBatch, rng: np.random.Generator | None = None) -> torch.Tensor:
        return self.encode(batch, rng)

    def training_loss(self, x: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
        if self.settings.loss == SOFTMAX:
            return super().training_loss(x, cells)
        return self.network.training_loss(x, cells)

    def _fit(self, batch: MeasuredBatch, truth_m: np.ndarray) -> None:
        opts = self.settings
        started = time.process_time()
        end = started + opts.cpu_minutes * 60.0
        if opts.pretrain == "sim":
            rng = np.random.default_rng([opts.seed, 1])
            sim, sim_truth = simulate_like(batch, truth_m, opts.sim_samples, rng)
            simulated = time.process_time() - started
            self.train_on(sim, sim_truth, started + opts.pretrain_share * (end - started), "sim")
            self.history[-1]["simulation_cpu_s"] = round(simulated, 2)
            checks = max(1, round(opts.checks * (1 - opts.pretrain_share)))  # same per minute
            self.train_on(batch, truth_m, end, "real", self.held_out, checks)
            return
        self.train_on(batch, truth_m, end, "real", self.held_out)


class RssTldl(RssHeatmap):
    """TL;DL's U-Net (narrow) on rasterised measured RSS, MSE to a Gaussian target."""

    name = "rss-tldl"

    def __init__(self, options: RssTldlOptions) -> None:
        if options.width < 1:
            raise LocNetError(f"rss-tldl: width must be >= 1, got {options.width}")
        super().__init__(options)

    def build(self, n_receivers: int) -> LocalizationModel:
        widths = tuple(self.settings.width * 2**k for k in range(5))
        return TLDL(TLDLConfig(widths=widths, sigma_px=self.settings.target_sigma))

    def inputs(self, batch: MeasuredBatch, rng: np.random.Generator | None = None) -> torch.Tensor:
        return self.encode(batch, rng)

    def training_loss(self, x: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
        return self.network.training_loss(x, cells)


class FingerprintMlp(LocalizationModel):
    """(B, 2R) fingerprints -> (B, 1, size, size) logits: two GELU layers of `hidden` units
    with dropout, then `hidden` -> `rank` -> size^2 (a rank-`rank` map: a few thousand
    cells from a small last layer)."""

    def __init__(self, n_inputs: int, options: RssMlpOptions) -> None:
        super().__init__()
        self.size = options.size
        self.layers = nn.Sequential(
            nn.Linear(n_inputs, options.hidden), nn.GELU(), nn.Dropout(options.dropout),
            nn.Linear(options.hidden, options.hidden), nn.GELU(), nn.Dropout(options.dropout),
            nn.Linear(options.hidden, options.rank), nn.Linear(options.rank, options.size**2),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).view(-1, 1, self.size, self.size)

    def predict(self, x: torch.Tensor) -> Prediction:
        logits = self.forward(x)[:, 0]
        return Prediction(xy=argmax_xy(logits), scores=logits, logits=logits)


class RssMlp(RssHeatmap):
    """Fingerprint MLP: the fixed receivers' levels and heard flags -> the raster's logits."""

    name = "rss-mlp"

    def __init__(self, options: RssMlpOptions) -> None:
        if min(options.hidden, options.rank) < 1 or not 0 <= options.dropout < 1:
            raise LocNetError("rss-mlp: hidden and rank must be >= 1, dropout in [0, 1)")
        super().__init__(options)

    def build(self, n_receivers: int) -> LocalizationModel:
        return FingerprintMlp(2 * n_receivers, self.settings)

    def inputs(self, batch: MeasuredBatch, rng: np.random.Generator | None = None) -> torch.Tensor:
        """(N, 2R): each fixed receiver's level and heard flag (shuttles' columns are 0:
        they move, so their reading is no fingerprint)."""
        level, heard, _ = self.levels(batch, rng)
        fixed = batch.fixed[None, :]
        features = np.concatenate((level * fixed, heard * fixed), axis=1)
        return torch.from_numpy(features.astype(np.float32))


@register(
    "rss-locnet",
    family=MEASUREMENT_FAMILY,
    output="heatmap",
    trainable=False,
    config=RssLocNetOptions,
    variants={"sim": {"pretrain": "sim"}},
    made_by=MADE_BY.format(model="rss-locnet"),
    description="measured RSS: LocNet (no-environment variant) on the rasterised campus "
    "(50 m cells), trained as a posterior on the split's training side in 10 CPU minutes; "
    "rss-locnet-sim: half of them on our simulator at the campus scale first",
)
def build_rss_locnet(**options) -> RssLocNet:
    return RssLocNet(RssLocNetOptions(**options))


@register(
    "rss-tldl",
    family=MEASUREMENT_FAMILY,
    output="heatmap",
    trainable=False,
    config=RssTldlOptions,
    made_by=MADE_BY.format(model="rss-tldl"),
    description="measured RSS: TL;DL's U-Net at widths 8-128 on the rasterised campus "
    "(50 m cells), MSE to a Gaussian target, 10 CPU minutes on the split's training side",
)
def build_rss_tldl(**options) -> RssTldl:
    return RssTldl(RssTldlOptions(**options))


@register(
    "rss-mlp",
    family=MEASUREMENT_FAMILY,
    output="heatmap",
    trainable=False,
    config=RssMlpOptions,
    made_by=MADE_BY.format(model="rss-mlp"),
    description="measured RSS: an MLP from the fixed receivers' fingerprint to logits over "
    "the campus (50 m cells), trained as a posterior in 2 CPU minutes",
)
def build_rss_mlp(**options) -> RssMlp:
    return RssMlp(RssMlpOptions(**options))
