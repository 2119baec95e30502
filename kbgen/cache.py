"""Explicit, bounded memo caches that the stages are handed (nothing is kept at module level).

A build makes a fresh :class:`Caches` and throws it away; ``kbgen serve`` (and ``mkdocs serve``)
keeps one in the plugin between rebuilds, so a one-case edit re-reads, re-scores and
re-renders only what changed. Every entry is keyed by content, never by name, so a cache can
only make a stage faster, never change what it returns.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import re
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_LIMIT = 200_000
"""Entries per cache: a 100,000-case knowledge base fits twice (an edit keeps the old and new text a while)."""


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while many long-lived objects are made (every file's parse and verdict).

    Parsed files form almost no reference cycles (a few hundred objects in 20,000 files), so the
    collector finds nothing, but each of its full passes walks every object made so far: at
    100,000 files those passes cost a good part of loading. Reference counting still frees
    everything as usual, and the collector runs again (and catches any cycle) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class BoundedCache(Generic[K, V]):
    """A least-recently-used memo of at most ``limit`` entries: memory stays bounded however long serve runs."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError(f"a cache holds at least 1 entry, not {limit}")
        self.limit = limit
        self._data: OrderedDict[K, V] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.added = 0  # entries stored since the cache was made (misses and puts of new keys)
        self.dropped = 0

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
            self.added += 1
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

    def look(self, key: K) -> V | None:
        """The value stored under ``key``, or None, neither counted nor refreshed: a worker process reading its copy."""
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        if key not in self._data:
            self.added += 1
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.limit:
            self._data.popitem(last=False)

    def keep_only(self, keys: set[K]) -> None:
        """Forget every entry not in ``keys`` (files that changed or went away)."""
        for key in [k for k in self._data if k not in keys]:
            del self._data[key]
            self.dropped += 1

    @property
    def changed(self) -> bool:
        """Whether anything was added or dropped since the cache was made (a store need not be written again)."""
        return bool(self.added or self.dropped)


@dataclass
class Caches:
    """One cache per stage that can reuse work between builds; pass ``None`` where a stage takes one to skip it."""

    files: BoundedCache[Any, Any] = field(default_factory=BoundedCache)  # load: (path, bytes) -> parsed case file
    checked: BoundedCache[Any, Any] = field(default_factory=BoundedCache)  # validate: (file, rule inputs) -> one file's verdict
    prepared: BoundedCache[Any, Any] = field(default_factory=BoundedCache)  # dedupe: case texts -> normalised text
    bodies: BoundedCache[Any, Any] = field(default_factory=BoundedCache)  # render: page Markdown -> finished HTML


# ---------------------------------------------------------------- the store between commands

STORE_FIELDS = ("files", "checked", "prepared")
"""What a command keeps for the next one: parsed files, each file's verdict, dedupe's normalised texts.
(Rendered bodies are the build's, and a build always starts afresh.)"""

_ALLOWED = {
    "kbgen.models": {"Diagnostic", "Section", "RawCase", "Case"},
    "kbgen.dedupe": {"_Text"},
    "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
    "collections": {"OrderedDict"},
}


class _Unpickler(pickle.Unpickler):
    """Rebuilds only the types the caches hold: a store written by anything else (or tampered with) can
    name no other class or function, so reading it can never run code (the pattern of the ``pickle`` docs)."""

    def find_class(self, module: str, name: str) -> Any:
        if name in _ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a kbgen cache type")


@functools.cache
def code_fingerprint() -> bytes:
    """kbgen's own source and the version of every library it declares: a verdict is only as good as the
    code that made it, so any upgrade or local edit makes every stored entry stale."""
    h = hashlib.blake2b(digest_size=16)
    for source in sorted(Path(__file__).parent.glob("*.py")):
        h.update(source.name.encode() + b"\x00" + source.read_bytes() + b"\x01")
    h.update(sys.version.encode())
    try:
        wanted = [re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0] for r in metadata.requires("kbgen") or ()]
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        wanted = []
    for name in sorted(set(wanted)):
        try:
            h.update(f"{name}={metadata.version(name)}\x01".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=none\x01".encode())
    return h.digest()


def cache_home() -> Path:
    """Where stores live: ``KBGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/kbgen``, else ``~/.cache/kbgen``."""
    if os.environ.get("KBGEN_CACHE_DIR"):
        return Path(os.environ["KBGEN_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kbgen"


@dataclass(frozen=True)
class Store:
    """One knowledge base's caches, kept on disk between commands (``kbgen check``, ``dupes``, ``top``, and
    ``similar`` when it indexes again), so checking after a one-case edit re-reads every file but parses and
    checks only the changed one.

    It lives in the user's cache folder, never in the project: verdicts decide what is private, and a
    knowledge base's own files (untrusted, like every input) must not be able to hand kbgen a verdict.
    Entries are keyed by content (see :class:`Caches`) and the whole store by :func:`code_fingerprint`,
    so a store can only make a command faster, never change what it reports.
    """

    path: Path

    @classmethod
    def for_project(cls, config_file: Path, home: Path | None = None) -> Store:
        where = hashlib.blake2b(str(config_file.resolve()).encode(), digest_size=8).hexdigest()
        return cls((home or cache_home()) / f"checks-{where}.pickle")

    def read(self) -> Caches:
        """The stored caches, or fresh ones when there is no store, or it is damaged, foreign or stale."""
        caches = Caches()
        try:
            with self.path.open("rb") as f:
                if f.read(len(_MAGIC)) != _MAGIC or f.read(16) != code_fingerprint():
                    return caches
                with no_cycle_collection():  # millions of objects, no cycles: see no_cycle_collection
                    stored = _Unpickler(f).load()
            for name in STORE_FIELDS:
                data = stored[name]
                if not isinstance(data, OrderedDict):
                    return Caches()
                getattr(caches, name)._data = data
        except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError, AttributeError, IndexError):
            return Caches()
        return caches

    def write(self, caches: Caches) -> None:
        """Keep ``caches`` for the next command (atomically: a reader sees the old store or the new, whole).
        A folder that cannot be written is not an error: the next command just starts afresh."""
        if not any(getattr(caches, name).changed for name in STORE_FIELDS):
            return
        tmp: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.path.parent, prefix=".tmp-", delete=False) as f:
                tmp = Path(f.name)
                f.write(_MAGIC + code_fingerprint())
                with no_cycle_collection():
                    pickle.dump({name: getattr(caches, name)._data for name in STORE_FIELDS}, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except (OSError, pickle.PicklingError):  # the store is only ever a speed-up: never fail the command over it
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()


_MAGIC = b"kbgen-store-1\n"
