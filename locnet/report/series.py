"""Names, colour-independent labels and the paper's reference values of result series.

A series is one (model, variant): LocNet's variants are "env-focal" (the default),
"noenv-focal" and the other losses; every other model has the variant "default".
"""

from __future__ import annotations

import pandas as pd

from locnet.models.registry import DEFAULT_VARIANT

METRICS = {  # summary column -> name; within10_pct from report.accuracy.with_within
    "within10_pct": "% within 10 m",
    "rmse_m": "RMSE",
    "mean_m": "mean error",
    "median_m": "median error",
    "p90_m": "90th-percentile error",
}

HEADLINE_RATES = (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09)  # the paper's average
LOCNET = "locnet"
ENV_VARIANT, NOENV_VARIANT = "env-focal", "noenv-focal"
LOSS_VARIANTS = {
    "env-focal": "Focal loss",
    "env-bbce": "Balanced BCE",
    "env-ft": "Focal Tversky",
    "env-mse": "MSE",
}
DISPLAY_NAMES = {
    "locnet": "LocNet",
    "mslocnet": "MSLocNet",
    "tldl": "TL;DL",
    "deepmtl": "DeepMTL",
    "deeptxfinder": "DeepTxFinder",
    "centre": "Map centre",
    "strongest": "Strongest sensor",
    "centroid": "RSS centroid",
    "pathloss": "Path-loss fit",
    "locnet_voronoi": "LocNet-Voronoi",
    "simfit": "Simulator fit (simfit)",
    "fusion": "LocNet x simfit (fusion)",
}

# The paper's RMSE in metres on RadioMapSeer (Le & Huang, PAKDD 2024). READ OFF THE
# PAPER'S FIGURES 3 AND 4, SO APPROXIMATE; rates the figures leave unread are absent.
PAPER_LABEL = "paper, RadioMapSeer"
PAPER_RMSE_M: dict[tuple[str, str], dict[float, float]] = {
    (LOCNET, ENV_VARIANT): {
        0.01: 41,
        0.02: 26,
        0.03: 18,
        0.04: 13,
        0.05: 10,
        0.06: 8,
        0.07: 6.5,
        0.08: 5.5,
        0.09: 5,
    },
    (LOCNET, NOENV_VARIANT): {0.01: 47, 0.09: 9},
    ("mslocnet", DEFAULT_VARIANT): {0.01: 108, 0.09: 33},
    ("tldl", DEFAULT_VARIANT): {0.01: 174, 0.09: 110},
    ("deeptxfinder", DEFAULT_VARIANT): {0.01: 126, 0.09: 126},  # about flat
    ("deepmtl", DEFAULT_VARIANT): {0.01: 187, 0.09: 160},
}
# Average RMSE over rates (Fig. 3b): the paper's headline values for LocNet and
# MSLocNet; for the others the mean of the two read-off endpoints above.
PAPER_AVERAGE_RMSE_M = {
    LOCNET: 18.0,
    "mslocnet": 62.0,
    "tldl": 142.0,
    "deeptxfinder": 126.0,
    "deepmtl": 173.5,
}
PAPER_PARAMETERS = {
    LOCNET: 128_743,
    "mslocnet": 310_000,
    "tldl": 31_000_000,
    "deepmtl": 61_500_000,
    "deeptxfinder": 67_400_000,
}


def series_label(model: str, variant: str = DEFAULT_VARIANT) -> str:
    """Legend name, e.g. 'LocNet (noenv-focal)' or 'MSLocNet'."""
    name = DISPLAY_NAMES.get(model, model)
    return name if variant in (DEFAULT_VARIANT, "", None) else f"{name} ({variant})"


def series_options(table: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Legend label -> (model, variant) of every series in `table`, in a fixed order:
    LocNet first, then the paper's baselines, classical ones, anything else; LocNet's
    ablation variants after its default (`env-focal`)."""
    models = list(DISPLAY_NAMES)
    variants = [ENV_VARIANT, NOENV_VARIANT, *LOSS_VARIANTS]

    def order(key: tuple[str, str]) -> tuple:
        model, variant = key
        return (
            variant not in (DEFAULT_VARIANT, ENV_VARIANT),
            models.index(model) if model in models else len(models),
            model,
            variants.index(variant) if variant in variants else len(variants),
            variant,
        )

    keys = sorted(set(zip(table["model"], table["variant"])), key=order)
    return {series_label(m, v): (m, v) for m, v in keys}


def paper_reference() -> pd.DataFrame:
    """The paper's approximate RMSE per (model, variant, rate): columns model, variant, rate_percent, rmse_m."""
    rows = [(m, v, r, e) for (m, v), curve in PAPER_RMSE_M.items() for r, e in curve.items()]
    return pd.DataFrame(rows, columns=["model", "variant", "rate_percent", "rmse_m"])
