"""Settings read from the environment (planner/core/config.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from planner.core.config import Settings


def test_the_suppression_threshold_can_be_set_from_the_environment(monkeypatch):
    """Catches: PLANNER_EQUALITY_SUPPRESSION_THRESHOLD=5 refused at start-up (the environment
    gives text, and a Literal of ints does not take "5")."""
    monkeypatch.setenv("PLANNER_EQUALITY_SUPPRESSION_THRESHOLD", "5")
    assert Settings().equality_suppression_threshold == 5
    monkeypatch.setenv("PLANNER_EQUALITY_SUPPRESSION_THRESHOLD", "7")
    with pytest.raises(ValidationError):
        Settings()
