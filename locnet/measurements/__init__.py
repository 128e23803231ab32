"""Real measured campaigns (the POWDER outdoor RSS dataset, docs/real-data.md): the campus
grid (`campus`), reading and cleaning the dataset's own files (`source`), `python -m locnet
import-powder` writing the compact committed copy (`importer`), reading that copy
(`dataset`), the dataset's test splits (`splits`), whole-folder writes (`output`), the
learned models' fit, calibration and checkpoints (`learned`) and `python -m locnet
evaluate-powder` (`evaluate`).

May import: `errors`, `constants`, `files`, `config_cli`, `models` (the measurement models
and their contract, through the registry), `posterior` (the learned models' calibrated
posterior and its readouts) and `evaluate` (the statistics and result file names).
"""
