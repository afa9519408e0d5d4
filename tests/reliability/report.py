"""A pytest plugin (loaded with `-p tests.reliability.report`): prints the reliability figures."""

from __future__ import annotations

import os

import pytest

from tests.reliability import figures


def pytest_sessionstart(session: pytest.Session) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller, or a run without xdist
        figures.clear()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if "PYTEST_XDIST_WORKER" in os.environ:
        return
    lines = figures.collected()
    if not lines:
        return
    terminalreporter.section("reliability figures")
    for name, value, detail in figures.summed(lines):
        note = f"  ({detail})" if detail else ""
        terminalreporter.write_line(f"{name:<60} {value}{note}")
