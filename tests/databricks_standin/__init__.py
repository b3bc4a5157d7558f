"""A local stand-in Databricks workspace for tests (see ``server`` for what it speaks and how).

Use it through the ``standin`` and ``workspace_client`` pytest fixtures of ``tests/conftest.py``.
"""

from .faults import FaultRule, Faults, LoggedRequest, RequestLog, StatementRule
from .server import TEST_TOKEN, USER_NAME, StandinWorkspace, VolumeRef

__all__ = [
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
