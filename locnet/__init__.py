"""LocNet Explorer: find a hidden transmitter in a city from a handful of signal-strength sensors.

The public API, four names (loaded on first use, so `python -m locnet --help` stays fast):

    import locnet

    model = locnet.load_model("locnet")               # checkpoints/locnet.pt, eval mode, CPU
    answer = locnet.predict(model, buildings, sensors=[(x, y, gain_db), ...])
    answer.xy, answer.expected_error_m, answer.regions  # pixels (1 m), metres, 50/90 % masks

    untrained = locnet.create_model("locnet", loss="bbce")  # any registry name, options over defaults
    estimates, timing = locnet.localize(case)           # a UserCase (locnet.cases) with several models

- `load_model(name_or_checkpoint, checkpoint_dir="checkpoints", device="cpu")`: a registry
  name, a checkpoint stem or a .pt path (locnet.inference.load_model).
- `predict(model, buildings, *, sensors=None, mask=None, radio_gray=None, readout=None,
  tta=False)`: one map, one answer with its posterior (locnet.inference.predict).
- `create_model(name, **options)`: build any model of the registry (locnet.models.registry).
- `localize(case, models=..., checkpoint_dir=..., device=...)`: your own data, as
  `python -m locnet localize` runs it (locnet.cases.localize.localize).

Maps are 256 x 256 arrays indexed [row, col]; coordinates are (x, y) = (column, row) in
pixels of 1 m. Inside the package every name is imported from the module that defines
it; this module only hands the four public names to users.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "load_model": "locnet.inference",
    "predict": "locnet.inference",
    "create_model": "locnet.models.registry",
    "localize": "locnet.cases.localize",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    """Import a public name's module on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'locnet' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
