"""The test groups of tests/conftest.py: every collected test in exactly one, slow where it must be.

A test file added without bookkeeping must still land in a group, and one that opens
chromium (through the shared ``browser`` fixture) must be left out of ``-m "not slow"``.
"""

from __future__ import annotations

import pytest

GROUPS = {"unit", "integration", "browser", "bench"}


def _markers(item: pytest.Item) -> set[str]:
    return {mark.name for mark in item.iter_markers()}


def test_groups_are_registered(pytestconfig: pytest.Config) -> None:
    """``--strict-markers`` needs each group and ``slow`` declared in pyproject.toml."""
    declared = {line.split(":", 1)[0].strip() for line in pytestconfig.getini("markers")}
    assert GROUPS | {"slow"} <= declared
    assert pytestconfig.option.strict_markers or "--strict-markers" in pytestconfig.getini(
        "addopts")


def test_every_collected_test_is_in_one_group(request: pytest.FixtureRequest) -> None:
    """Of the tests collected with this one, each has one group; browser and bench are slow."""
    items = request.session.items
    assert request.node in items
    for item in items:
        marks = _markers(item)
        assert len(marks & GROUPS) == 1, (item.nodeid, sorted(marks))
        if "browser" in getattr(item, "fixturenames", ()):
            assert "browser" in marks, item.nodeid
        if marks & {"browser", "bench"}:
            assert "slow" in marks, item.nodeid


def test_this_file_is_quick_unit(request: pytest.FixtureRequest) -> None:
    """A file with no fixtures of disk or browser defaults to unit, not slow."""
    marks = _markers(request.node)
    assert "unit" in marks and "slow" not in marks
