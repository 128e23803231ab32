"""Data: city environments, the propagation simulator, datasets on disk and sensor sampling.

Owns the map conventions (`maps`: shapes, gray <-> dB, sensors <-> masks), the building
maps (`cities`, `procedural`, `environment`), the simulator (`propagation`,
`propagation_params`, `dominant_path`, `visibility`), the RadioMapSeer layouts
(`radiomapseer`, `layout`, `png`, `writer`), the `generate`/`testset`/`dataset-info`
commands, torch datasets (`dataset`, `cache`), the simulated training stream (`stream`)
and the input encoding (`sampling`). May import `locnet.errors`, `locnet.constants` and
`locnet.files` only: everything else builds on it.
"""
