"""Placeholder text left from ``kbgen new``'s skeleton: an untouched draft must never be published.

The skeleton marks every blank an author fills in with ``TODO``; the same marker (or one of the
skeleton's own sentences, also those of earlier kbgen versions) left in a published field or
section is an error naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from .models import Diagnostic, Section

MARKER = "TODO"
"""What the skeleton puts in every blank; authors and reviewers grep for it."""

_MARKED = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:TODO|TBD|FIXME)\b")
"""A line, list item or field that starts with a marker ("TODO: the first step", "- TBD")."""

SKELETON_LINES = frozenset({
    # kbgen new up to 0.1.0 wrote these without a marker; drafts made then are still caught.
    "what the customer saw, in their words. quote the exact error message in `backticks`.",
    "product and version, operating system",
    "the first step.",
    "the next step.",
    "why it happened.",
})

FIELDS = ("title", "product", "component", "versions", "tags", "root_cause")


_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def _normal(line: str) -> str:
    """A line without its list marker, lower case, so "1. The first step." matches "the first step."."""
    return _LIST_MARKER.sub("", line).strip().lower()


def is_placeholder(text: str) -> bool:
    return bool(_MARKED.match(text)) or _normal(text) in SKELETON_LINES


_ANY_MARKER = re.compile(r"TODO|TBD|FIXME")


def _may_hold(text: str) -> bool:
    """Whether any line of ``text`` can be a placeholder: a marker (matched with its case, as :data:`_MARKED` does)
    or a skeleton line anywhere in it. Most sections hold neither, and are not looked at line by line."""
    if _ANY_MARKER.search(text):
        return True
    lower = text.lower()
    return any(line in lower for line in SKELETON_LINES)


def _values(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (v for v in value if isinstance(v, str))


def find(path: str, meta: Mapping[str, object], meta_lines: Mapping[str, int], sections: Sequence[Section],
         required: Sequence[str] = ()) -> list[Diagnostic]:
    """Every field and public section line still holding placeholder text, as errors with their lines.
    ``required`` are the section keys that cannot simply be deleted."""
    problems: list[Diagnostic] = []
    for key in FIELDS:
        for value in _values(meta.get(key)):
            if is_placeholder(value):
                problems.append(Diagnostic(path, meta_lines.get(key, 1), "error",
                                           f"'{key}' is still the placeholder {value.strip()!r}; write the real value"))
                break
    for section in sections:
        if section.internal or not _may_hold(section.body):
            continue  # never published, so a left-over note there harms nobody
        fix = "replace it with the real text" + ("" if section.key in required else ", or delete the section (it is optional)")
        for offset, line in enumerate(section.body.split("\n"), 1):
            if line.strip() and is_placeholder(line):
                problems.append(Diagnostic(path, section.line + offset, "error",
                                           f"section '## {section.title.strip()}' still holds the placeholder {line.strip()!r}; {fix}"))
    return problems
