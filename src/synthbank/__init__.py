"""synthbank: a data-versioned repository of deterministic synthetic datasets."""

__version__ = "0.1.0"
