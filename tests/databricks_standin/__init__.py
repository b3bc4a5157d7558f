"""A local stand-in Databricks workspace for tests (see ``server`` for what it speaks and how).

Use it through the ``standin`` and ``workspace_client`` pytest fixtures of ``tests/conftest.py``.
"""

from pathlib import Path

from .faults import FaultRule, Faults, LoggedRequest, RequestLog, StatementRule
from .server import TEST_TOKEN, USER_NAME, StandinWorkspace, VolumeRef

#: Scripts the stand-in's clusters and jobs run in tests (they stand for user code on Databricks).
ASSETS = Path(__file__).resolve().parent / "assets"

__all__ = [
    "ASSETS",
    "TEST_TOKEN",
    "USER_NAME",
    "FaultRule",
    "Faults",
    "LoggedRequest",
    "RequestLog",
    "StandinWorkspace",
    "StatementRule",
    "VolumeRef",
]
