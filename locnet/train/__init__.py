"""Training: `python -m locnet train`, one loop (`loop`) and what it needs around it.

`config` (the flags as a `TrainConfig`), `setup` (datasets or the stream, start weights,
validation), `run` (the fixed parts and budgets of a run), `state` (the resumable
position), `dist` (torchrun, bf16, channels_last, compile), `precision` (whether bf16
pays on this hardware) and `reproducibility` (RNG state for resume files). May import
`data`, `models`, `posterior`, `evaluate.metrics` and the base modules; nothing imports it
but the benchmarks and the CLI.
"""
