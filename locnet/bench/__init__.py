"""Benchmarks: `python -m locnet bench data|models|posterior|train` (`cli` dispatches).

Each target measures one hot path and prints a table or JSON: data loading and the
simulator (`data`), model forward passes (`models`), the posterior readouts
(`posterior`) and training steps in fp32/bf16 (`train`). Performance goals are checked
here, never by timed assertions in tests. May import everything below the app.
"""
