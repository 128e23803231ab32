"""Models: LocNet, the paper's deep baselines and classical baselines, behind one registry."""

from locnet.models.base import LocalizationModel, Prediction
from locnet.models.registry import available_models, count_parameters, create_model, model_info

__all__ = [
    "LocalizationModel",
    "Prediction",
    "available_models",
    "count_parameters",
    "create_model",
    "model_info",
]
