"""Vectorized, reproducible synthetic retail data: seven tables with referential integrity."""

__version__ = "0.1.0"
