"""Terminal progress: one rewritten line while a person watches, nothing in CI logs or pipes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def interactive() -> bool:
    """A person watches a terminal (not a CI log): progress lines are worth printing."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def terminal_progress() -> Progress | None:
    """Stage and count on one rewritten line when a person watches a terminal; nothing in CI logs."""
    if not interactive():
        return None

    def show(stage: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r\033[Kkbgen: {stage} {done:,}/{total:,}")
        sys.stderr.flush()

    return show


def rendered(pages: int) -> None:
    """The last progress line: the pipeline is done and MkDocs takes over with this many pages."""
    if interactive():
        sys.stderr.write(f"\r\033[Kkbgen: rendering {pages:,} pages\n")
