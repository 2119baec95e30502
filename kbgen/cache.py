"""Explicit, bounded memo caches that the stages are handed (nothing is kept at module level).

A build makes a fresh :class:`Caches` and throws it away; ``kbgen serve`` (and ``mkdocs serve``)
keeps one in the plugin between rebuilds, so a one-case edit re-reads, re-scores and
re-renders only what changed. Every entry is keyed by content, never by name, so a cache can
only make a stage faster, never change what it returns.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_LIMIT = 200_000
"""Entries per cache: a 100,000-case knowledge base fits twice (an edit keeps the old and new text a while)."""


class BoundedCache(Generic[K, V]):
    """A least-recently-used memo of at most ``limit`` entries: memory stays bounded however long serve runs."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError(f"a cache holds at least 1 entry, not {limit}")
        self.limit = limit
        self._data: OrderedDict[K, V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value stored under ``key``, made (and stored) on a miss."""
        try:
            value = self._data[key]
        except KeyError:
            self.misses += 1
            value = self._data[key] = make()
            if len(self._data) > self.limit:
                self._data.popitem(last=False)
            return value
        self.hits += 1
        self._data.move_to_end(key)
        return value

    def peek(self, key: K) -> V | None:
        """The value stored under ``key``, or None (counted as a hit or a miss)."""
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.limit:
            self._data.popitem(last=False)

    def keep_only(self, keys: set[K]) -> None:
        """Forget every entry not in ``keys`` (files that changed or went away)."""
        for key in [k for k in self._data if k not in keys]:
            del self._data[key]


@dataclass
class Caches:
    """One cache per stage that can reuse work between builds; pass ``None`` where a stage takes one to skip it."""

    files: BoundedCache[Any, Any] = field(default_factory=BoundedCache)  # load: (path, bytes) -> parsed case file
    checked: BoundedCache[Any, Any] = field(default_factory=BoundedCache)  # validate: (file, rule inputs) -> one file's verdict
    prepared: BoundedCache[Any, Any] = field(default_factory=BoundedCache)  # dedupe: case texts -> normalised text
    bodies: BoundedCache[Any, Any] = field(default_factory=BoundedCache)  # render: page Markdown -> finished HTML
