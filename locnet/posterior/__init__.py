"""The posterior: a heatmap's logits as a probability map and the answers read from it.

`distribution` turns logits into p = softmax(logits / T) over outdoor pixels and reads
the answers off it (mode, mean, median; credible regions; expected error;
docs/posterior.md). `calibration` holds a checkpoint's fitted `Calibration` and
`answer_batch`, the one place model output becomes readouts. May import `models`, `data`
and the base modules; fitting T on validation data is `evaluate.calibrate`.
"""
