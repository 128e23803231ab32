"""Models: LocNet, the paper's deep baselines and classical baselines, behind one registry.

Owns the model families (one file each), their registry (`registry.create_model`), losses,
and checkpoint files (`checkpoints`, `state_dicts`). A leaf of the package: imports only
`locnet.errors`, `locnet.constants`, `locnet.files` and `locnet.data`; never training,
inference, evaluation or the app.
"""
