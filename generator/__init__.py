"""Vectorized, reproducible synthetic retail data: seven tables with referential integrity."""

__version__ = "0.1.0"
#: Name recorded in every manifest and its versions.
GENERATOR_NAME = "retail-datagen"
