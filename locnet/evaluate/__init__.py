"""Evaluation: run models over a dataset split and write the result folder.

`run` is `python -m locnet evaluate`; `plan` says which models and samples run, `tables`
turns answers into rows and summaries, `metrics` holds the statistics every table
reports, `folders` reads and writes result folders (the pages' and `report`'s input), and
`calibrate` (`python -m locnet calibrate`) fits a checkpoint's temperature on validation
data. May import `inference`, `posterior`, `models`, `data` and the base modules.
"""
