"""`fusion`: a learned prior times physical evidence (LocNet x simfit).

The posterior of a heatmap model is softmax(logits / T) over outdoor pixels
(docs/posterior.md), so its log-posterior is logits / T up to a constant. simfit's logits
are a log-likelihood of the readings (-misfit). Their product, with the likelihood raised
to a weight w, has the log-density

    base_logits / base_temperature + w * simfit_logits

and is again a heatmap model: every readout, credible region and the calibration of its own
temperature work unchanged. w = 0 is the learned model alone; w -> infinity is simfit alone
(its argmax). `python -m locnet fuse` fits w on validation data (docs/models.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch

from locnet.constants import MAP_SIZE
from locnet.errors import LocNetError
from locnet.models.base import LocalizationModel, Prediction, argmax_xy, check_input
from locnet.models.registry import create_model, register
from locnet.models.simfit import SimFit, SimFitConfig

# simfit's logits are -inf on buildings; clamped to this before weighting so that w = 0
# gives 0 (not NaN) there. The posterior masks buildings out anyway.
LOGIT_FLOOR = -1e4
FUSE_COMMAND = "python -m locnet fuse --base checkpoints/locnet.pt --data data/demo"


@dataclass(frozen=True)
class FusionConfig:
    """The fused model's options (a fusion checkpoint records them; `fuse` sets them)."""

    base: str = "locnet"  # registry name of the learned heatmap model whose weights it holds
    base_temperature: float = 1.0  # the base model's calibrated T (its posterior's)
    weight: float = 1.0  # exponent w of simfit's likelihood
    sigma_db: float = SimFitConfig.sigma_db
    settings: int = 4  # simfit's propagation settings (robust: the parameters are unknown)
    settings_seed: int = SimFitConfig.settings_seed
    verify_top: int = SimFitConfig.verify_top
    max_sensors: int = SimFitConfig.max_sensors
    workers: int = SimFitConfig.workers


def fused_logits(
    base_logits: torch.Tensor, simfit_logits: torch.Tensor, base_temperature: float, weight: float
) -> torch.Tensor:
    """The fused log-density (up to a constant), any matching shapes."""
    physics = simfit_logits.float().clamp(min=LOGIT_FLOOR)
    return base_logits.float() / base_temperature + weight * physics


class Fusion(LocalizationModel):
    """A heatmap model whose logits are the base model's log-posterior plus w x simfit's."""

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        if not (config.base_temperature > 0 and config.weight >= 0):
            raise LocNetError(
                f"fusion needs base_temperature > 0 and weight >= 0, got "
                f"{config.base_temperature} and {config.weight}; re-run `fuse`"
            )
        self.config = config
        self.base = create_model(config.base)
        simfit_fields = {f.name for f in fields(SimFitConfig)}
        self.simfit = SimFit(SimFitConfig(**{k: v for k, v in asdict(config).items() if k in simfit_fields}))

    def parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(base logits, simfit logits), each (B, H, W): `fuse` fits w from these."""
        check_input(x, "fusion", size=MAP_SIZE)
        return self.base.predict(x).logits, self.simfit.forward(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base, physics = self.parts(x)
        return fused_logits(base, physics.to(base.device), self.config.base_temperature, self.config.weight)

    def predict(self, x: torch.Tensor) -> Prediction:
        logits = self.forward(x)
        return Prediction(
            xy=argmax_xy(logits),
            scores=torch.exp(logits - logits.amax(dim=(1, 2), keepdim=True)),
            logits=logits,
        )

    def training_loss(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        raise LocNetError(f"a fusion is not trained but fitted: `{FUSE_COMMAND}`")


@register(
    "fusion",
    family="physics",
    output="heatmap",
    trainable=True,
    made_by=FUSE_COMMAND,
    description="LocNet x simfit: the learned model's calibrated posterior times the "
    "simulator likelihood raised to a weight fitted on validation (learned prior, physical "
    "evidence)",
    config=FusionConfig,
)
def build_fusion(
    *,
    base: str,
    base_temperature: float,
    weight: float,
    sigma_db: float,
    settings: int,
    settings_seed: int,
    verify_top: int,
    max_sensors: int,
    workers: int,
) -> Fusion:
    """A fusion with these options (FusionConfig says what each means and its default)."""
    return Fusion(
        FusionConfig(
            base, base_temperature, weight, sigma_db, settings, settings_seed, verify_top,
            max_sensors, workers,
        )
    )
