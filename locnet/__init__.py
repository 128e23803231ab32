"""LocNet Explorer: transmitter localization from sparse RSS samples in city maps."""

__version__ = "0.1.0"
