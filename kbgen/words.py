"""Numbers with their nouns, for every message and page: "1 article", "2 articles"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular when ``n`` is 1; ``plural`` for nouns that do not just add an "s"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def verb(n: int, singular: str, plural: str) -> str:
    """The verb that agrees with ``n``: verb(1, "merges", "merge")."""
    return singular if n == 1 else plural
