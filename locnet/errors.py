"""User-facing errors: the CLI prints them as one line, the app as st.error.

Subclass ValueError so callers that only know ValueError still catch them.
Messages name the offending file or value and say what to do.
"""


class LocNetError(ValueError):
    """Bad input a user can fix (message says how)."""


class DatasetError(LocNetError):
    """A dataset folder or one of its files is missing or malformed."""


class CheckpointError(LocNetError):
    """A checkpoint file is missing, corrupt or belongs to another model."""
