"""The lab: how the shipped checkpoints were made, outside the product package.

`recipes` holds the exact command behind every file in checkpoints/ (the training
stages of the campaign); `promote` (`python -m lab.promote`) ships a finished stage as
checkpoints/locnet.pt. It may import `locnet`; `locnet` never imports it.
"""
