"""The wheel's packages, found rather than listed (a hand list in pyproject.toml twice lost a new
package), plus templates/ shipped as retail_datagen_templates. Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["generator", "generator.*", "server", "server.*"], exclude=["*.__pycache__"]),
        "retail_datagen_templates",
    ]
)
