"""Progress lines reach a person at a terminal, never a CI log or a pipe."""

from __future__ import annotations

import io

import pytest

from kbgen import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_one_rewritten_line(monkeypatch: pytest.MonkeyPatch):
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.delenv("CI", raising=False)
    show = progress.terminal_progress()
    assert show is not None
    show("read", 1000, 10000)
    progress.rendered(1174)
    assert screen.getvalue() == "\r\033[Kkbgen: read 1,000/10,000\r\033[Kkbgen: rendering 1,174 pages\n"


@pytest.mark.parametrize("ci, stream", [("true", Terminal()), ("", io.StringIO())])
def test_ci_logs_and_pipes_see_nothing(monkeypatch: pytest.MonkeyPatch, ci: str, stream: io.StringIO):
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setenv("CI", ci)
    assert progress.terminal_progress() is None
    progress.rendered(10)
    assert stream.getvalue() == ""
