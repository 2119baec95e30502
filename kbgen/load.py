"""Load stage: case files and root-causes.yml from disk into raw data with line numbers.

Front matter is parsed here, not by MkDocs, so that every YAML problem carries its
file and line. YAML is read with the safe loader, dates stay strings (validation
checks them with a line number), and anchors/aliases are refused before anything is
constructed, so an alias bomb costs no more than reading the file.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import yaml

from . import markdown
from .cache import BoundedCache, no_cycle_collection
from .models import Diagnostic, RawCase, Section
from .workers import fork_map

MAX_FILE_BYTES = 256 * 1024
"""A case file larger than this is rejected unread: real cases are a few KB."""

MAX_ROOT_CAUSES_BYTES = 64 * 1024 * 1024
"""root-causes.yml grows with the product (tens of thousands of entries are a few MB); this only bounds memory."""

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that leaves timestamps as strings so dates are validated with a line number."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

LineMap = dict[tuple[str, ...], int]
TextMap = dict[tuple[str, ...], tuple[str, ...]]
"""Scalar values as written in the file, by key path: YAML reads ``0042`` as 34 and ``5.10`` as 5.1."""


def normalise_heading(text: str) -> str:
    """'## Internal Notes:' and '## internal-notes' both read 'internal notes' (as Section.key does)."""
    return Section(text, "", 0).key


def diag(path: str, line: int, message: str, severity: str = "error") -> Diagnostic:
    return Diagnostic(path, line, "error" if severity == "error" else "warning", message)


def parse_yaml(text: str, path: str, first_line: int = 1, texts: TextMap | None = None) -> tuple[object, LineMap, list[Diagnostic]]:
    """Parse one YAML document. Returns the data, the line of every mapping key (by key path), problems.

    ``texts``, when given, is filled with every scalar (or list of scalars) as written, by key path.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines: LineMap = {}
        problems = _walk(node, (), lines, set(), path, first_line, {} if texts is None else texts)
        if problems:
            return None, lines, problems
        plain = _plain(loader, node)
        return (loader.construct_document(node) if plain is None else plain), lines, []
    except yaml.MarkedYAMLError as exc:
        # The context (an unclosed quote or bracket) is where the mistake usually is; the problem is where it was noticed.
        mark = exc.context_mark or exc.problem_mark
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or str(exc)
        if exc.context and exc.problem_mark and exc.context_mark and exc.problem_mark.line != exc.context_mark.line:
            what += f" ({exc.context} that starts here; noticed on line {first_line + exc.problem_mark.line})"
        return None, {}, [diag(path, line, f"invalid YAML: {what}; fix the syntax (quote values that contain ': ' or start with a special character)")]
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        return None, {}, [diag(path, first_line, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()


_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null"))


def _plain(loader: yaml.BaseLoader, node: yaml.Node) -> dict[object, object] | None:
    """What ``construct_document`` makes of the usual front matter (a mapping of plain scalars and lists of them),
    made by the same constructor of each scalar without the generic machinery around them (a third of parsing
    the YAML); None for anything else (merge keys, other tags, nested mappings), which that machinery builds."""
    if type(node) is not yaml.MappingNode or node.tag != "tag:yaml.org,2002:map":
        return None
    make = loader.yaml_constructors
    out: dict[object, object] = {}
    for key, value in node.value:
        if type(key) is not yaml.ScalarNode or key.tag not in _SCALAR_TAGS:
            return None
        if type(value) is yaml.ScalarNode and value.tag in _SCALAR_TAGS:
            item: object = make[value.tag](loader, value)
        elif (type(value) is yaml.SequenceNode and value.tag == "tag:yaml.org,2002:seq"
              and all(type(v) is yaml.ScalarNode and v.tag in _SCALAR_TAGS for v in value.value)):
            item = [make[v.tag](loader, v) for v in value.value]
        else:
            return None
        out[make[key.tag](loader, key)] = item  # a later equal key wins, as in construct_mapping
    return out


class _AliasFound(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


ALIAS_MESSAGE = "YAML anchors and aliases (& and *) are not allowed in kbgen files; write the value out"


def _walk(node: yaml.Node, key_path: tuple[str, ...], lines: LineMap, seen: set[int], path: str, first_line: int,
          texts: TextMap) -> list[Diagnostic]:
    """Record key lines and texts as written; refuse duplicate keys. A node reached twice is an alias: stop at the first one."""
    try:
        return _walk_node(node, key_path, lines, seen, path, first_line, texts)
    except _AliasFound as found:
        return [diag(path, found.line, ALIAS_MESSAGE)]


def _walk_node(node: yaml.Node, key_path: tuple[str, ...], lines: LineMap, seen: set[int], path: str, first_line: int,
               texts: TextMap) -> list[Diagnostic]:
    if id(node) in seen:
        raise _AliasFound(first_line + node.start_mark.line)
    seen.add(id(node))
    problems: list[Diagnostic] = []
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            if id(key_node) in seen:
                raise _AliasFound(first_line + key_node.start_mark.line)
            seen.add(id(key_node))
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            key_line = first_line + key_node.start_mark.line
            if key in keys:
                problems.append(diag(path, key_line, f"'{key}' is given twice; keep one"))
            keys.add(key)
            lines[(*key_path, key)] = key_line
            problems += _walk_node(value_node, (*key_path, key), lines, seen, path, first_line, texts)
    elif isinstance(node, yaml.SequenceNode):
        texts[key_path] = tuple(str(item.value) for item in node.value if isinstance(item, yaml.ScalarNode))
        for item in node.value:
            problems += _walk_node(item, key_path, lines, seen, path, first_line, texts)
    elif isinstance(node, yaml.ScalarNode) and key_path not in texts:
        texts[key_path] = (str(node.value),)
    return problems


def decode(data: bytes, path: str, limit: int = MAX_FILE_BYTES,
           kind: str = "for one case; split it or trim pasted logs") -> tuple[str | None, list[Diagnostic]]:
    if len(data) > limit:
        return None, [diag(path, 1, f"file is {len(data):,} bytes, over the {limit:,}-byte limit {kind}")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [diag(path, line, "file is not valid UTF-8; save it as UTF-8")]
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        return None, [diag(path, text[: text.index("\x00")].count("\n") + 1, "file contains a NUL byte; is it a binary file?")]
    if not text.strip():
        return None, [diag(path, 1, "file is empty; write a case (see `kbgen new`) or delete the file")]
    # One kind of line end before anything counts lines or finds headings: a lone CR is a line
    # break to CommonMark and to editors, so it is one here too.
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def split_front_matter(text: str, path: str) -> tuple[str | None, str, int, list[Diagnostic]]:
    """Return (front matter, body, line where the body starts, problems)."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None, "", 1, [diag(path, 1, "no front matter: a case starts with a line '---', then YAML fields (id, title, ...), then '---'")]
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2, []
    return None, "", 1, [diag(path, 1, "front matter is not closed: add a line '---' after the last field")]


def strip_comments(body: str, path: str, first_line: int) -> tuple[str, list[Diagnostic]]:
    """Remove HTML comments, keeping line numbers; an unclosed comment is an error (it would hide or leak text).

    A plain scan, not a regex: ``<!--.*?-->`` rescans the rest of the text from every unclosed ``<!--``.
    """
    out: list[str] = []
    pos = 0
    while (start := body.find("<!--", pos)) >= 0:
        end = body.find("-->", start + 4)
        if end < 0:
            out.append(body[pos:])
            line = first_line + body.count("\n", 0, start)
            return "".join(out), [diag(path, line, "HTML comment '<!--' is never closed; add '-->'")]
        out.append(body[pos:start])
        out.append("\n" * body.count("\n", start, end))
        pos = end + 3
    out.append(body[pos:])
    return "".join(out), []


def split_sections(body: str, first_line: int, path: str = "") -> tuple[str, tuple[Section, ...], list[Diagnostic]]:
    """Split a body at its top-level h1/h2 headings, on the Markdown parse that also renders them (``markdown.py``).

    Returns (text before the first heading, sections, problems).
    """
    return markdown.parse_body(body, first_line, path)


def digest(data: bytes) -> bytes:
    """What caches know a file's content by."""
    return hashlib.blake2b(data, digest_size=16).digest()


def read_case(data: bytes, path: str, content_digest: bytes | None = None) -> tuple[RawCase | None, list[Diagnostic]]:
    """Parse one case file's bytes. ``path`` is how diagnostics name the file; ``content_digest`` is
    :func:`digest` of ``data`` when the caller has it already."""
    text, problems = decode(data, path)
    if text is None:
        return None, problems
    front, body, body_line, problems = split_front_matter(text, path)
    if front is None:
        return None, problems
    if not front.strip():
        return None, [diag(path, 1, "front matter is empty: add id, title, product and resolved")]
    texts: TextMap = {}
    meta, lines, problems = parse_yaml(front, path, first_line=2, texts=texts)
    if problems:
        return None, problems
    if not isinstance(meta, dict):
        return None, [diag(path, 2, f"front matter must be 'field: value' lines (a mapping), not a {type(meta).__name__}")]
    body, problems = strip_comments(body, path, body_line)
    preamble, sections, found = split_sections(body, body_line, path)
    problems += found
    if preamble:
        problems.append(diag(path, body_line, "text before the first '## ' heading is not published; move it under '## Problem'", "warning"))
    meta_lines = {key[0]: line for key, line in lines.items() if len(key) == 1}
    meta_text = {key[0]: text for key, text in texts.items() if len(key) == 1}
    errors = tuple(p.message for p in problems if p.severity == "error")
    return RawCase(path, {str(k): v for k, v in meta.items()}, meta_lines, sections, body_line, meta_text, errors,
                   content_digest or digest(data)), problems


def read_limited(file: Path | str, path: str, limit: int) -> tuple[bytes | None, list[Diagnostic]]:
    """A file's bytes, or a problem when it is larger than ``limit``, checked before reading:
    a 400 MB file is never read into memory (at most limit + 1 bytes, in case it grows meanwhile)."""
    too_big = "file is {:,} bytes, over the {:,}-byte limit for one case; split it or trim pasted logs"
    try:
        size = os.stat(file).st_size
        if size > limit:
            return None, [diag(path, 1, too_big.format(size, limit))]
        with open(file, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return None, [diag(path, 1, f"file cannot be read ({exc.strerror or exc}); fix its permissions or remove it")]
    if len(data) > limit:
        return None, [diag(path, 1, f"file is over the {limit:,}-byte limit for one case; split it or trim pasted logs")]
    return data, []


def iter_case_files(cases_dir: Path) -> Iterator[Path]:
    """Every ``*.md`` under the cases folder, sorted so output never depends on the file system's order.

    What ``sorted(p for p in cases_dir.rglob("*.md") if p.is_file() or p.is_symlink())`` finds, in that order (a
    broken link is reported, not skipped; a linked folder is not entered), from the folder listings' own file
    types: no ``stat`` per file, and no comparison of two Path objects per step of the sort (1.2 s at 100,000
    files, against 0.2 s)."""
    yield from map(Path, case_files(cases_dir))


def case_files(cases_dir: Path) -> list[str]:
    """:func:`iter_case_files` as strings (a worker makes each one's Path: 0.4 s at 100,000 files)."""
    found: list[str] = []
    _case_paths(str(cases_dir), found)
    # Path order is by parts; every path starts with the folder as given, and a NUL (in no file name) before
    # each part makes the text's order the parts' order
    return sorted(found, key=lambda p: p.replace(os.sep, "\0"))


def _case_paths(folder: str, found: list[str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except PermissionError:  # as rglob: a folder that cannot be listed holds no cases
        return
    for entry in entries:
        if entry.name.endswith(".md") and (entry.is_file() or entry.is_symlink()):
            found.append(entry.path)
        if entry.is_dir() and not entry.is_symlink():
            _case_paths(entry.path, found)


MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")


def unread_files(cases_dir: Path, root: Path | None = None) -> list[Diagnostic]:
    """What under the cases folder looks like cases but is not read, as warnings: a file saved as ``.MD`` or
    ``.markdown``, a linked folder (not followed, as :func:`iter_case_files` does not). Without them the summary
    would just count one file less. A walk of names only: a few hundredths of a second at 100,000 files."""
    problems: list[Diagnostic] = []
    for top, dirs, files in os.walk(cases_dir):
        here = Path(top)
        for name in sorted(dirs):
            if (here / name).is_symlink():
                problems.append(diag(display_path(here / name, root), 1, "not read: a linked folder is not followed; "
                                                                          "move its cases into the cases folder", "warning"))
        for name in sorted(files):
            if not name.endswith(".md") and name.lower().endswith(MARKDOWN_SUFFIXES):
                problems.append(diag(display_path(here / name, root), 1, "not read: a case file's name ends in '.md' (lower case); "
                                                                          "rename it", "warning"))
    return problems


def display_path(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.absolute().relative_to(root.absolute()).as_posix()
        except ValueError:
            pass
        try:  # a symlinked file: its own name (resolved only here: resolving every file cost a tenth of loading)
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


Progress = Callable[[str, int, int], None]


Read = tuple[str, tuple[str, bytes] | None, tuple[RawCase | None, list[Diagnostic]] | None]
"""One case file as a worker read it: display path, cache key (None: unreadable), parse (None: the cache has it)."""


def load_cases(
    cases_dir: Path, root: Path | None = None, progress: Progress | None = None,
    cache: BoundedCache[tuple[str, bytes], tuple[RawCase | None, list[Diagnostic]]] | None = None,
    workers: int = 1, meanwhile: Callable[[], object] | None = None,
) -> tuple[list[tuple[str, RawCase | None]], list[Diagnostic]]:
    """Read every case file. Returns (display path, raw case or None when unreadable) per file, and problems.

    ``cache`` keeps parsed files by (path, content hash) between builds: `kbgen serve` re-reads every
    file but parses only the changed ones. ``workers`` > 1 parses many changed files in that many
    processes (:mod:`kbgen.workers`); the result is the same either way. ``meanwhile()`` is run in this
    process while they do (:func:`kbgen.workers.fork_map`). Without ``cache`` nothing is kept.
    (The pipeline reads and checks in one pass: :func:`reader` with :func:`kbgen.validate.check`.)
    """
    keep = cache is not None
    if cache is None:
        cache = BoundedCache()
    files = case_files(cases_dir)
    with no_cycle_collection():
        # In worker processes each file is read, hashed, looked up in (a copy of) the cache and parsed there:
        # only the parse comes back. Parses made here are stored; a hit keeps its entry fresh.
        told = (lambda n: progress("read", n, len(files))) if progress else None
        read = fork_map(lambda file: _read_one(file, root, cache), files, workers, told, meanwhile=meanwhile)
        out, problems = settle(read, cache, keep)
    return out, problems + unread_files(cases_dir, root)


def reader(root: Path | None, cache: BoundedCache[tuple[str, bytes], tuple[RawCase | None, list[Diagnostic]]], keep: bool,
           ) -> Callable[[str], tuple[Read, RawCase | None]]:
    """How :func:`kbgen.validate.check` reads one case file where it will check it: the parse stays there, and only
    the file's problems come back (its parse too when ``keep``: the caller stores parses in ``cache``)."""
    def read(name: str) -> tuple[Read, RawCase | None]:
        path, key, parsed = _read_one(name, root, cache)
        if parsed is None:  # a parse the cache has (a worker's copy of it)
            hit = cache.look(key) if key is not None else None
            return (path, key, None), hit[0] if hit is not None else None
        return (path, key, parsed if keep else (None, parsed[1])), parsed[0]
    return read


def settle(read: Iterable[Read], cache: BoundedCache[tuple[str, bytes], tuple[RawCase | None, list[Diagnostic]]], keep: bool,
           ) -> tuple[list[tuple[str, RawCase | None]], list[Diagnostic]]:
    """Every file's (path, parse) and problems from what the workers read, the cache kept up to date when ``keep``."""
    out: list[tuple[str, RawCase | None]] = []
    problems: list[Diagnostic] = []
    live: set[tuple[str, bytes]] = set()
    for path, key, parsed in read:
        verdict = parsed if parsed is not None else cache.get(key, _never) if key is not None else (None, [])
        out.append((path, verdict[0]))
        problems += verdict[1]
        if key is not None and keep:
            live.add(key)
            if parsed is not None:
                cache.put(key, verdict)
    if keep:
        cache.keep_only(live)  # files that changed or went away
    return out, problems


def _read_one(name: str, root: Path | None, cache: BoundedCache[tuple[str, bytes], tuple[RawCase | None, list[Diagnostic]]],
              ) -> Read:
    """(display path, cache key or None when unreadable, parse or None when ``cache`` has it) of one case file.

    A cached parse is not returned: from a worker process it would be copied back through a pipe, which costs
    more than the read and the hash (the parent takes it from its own cache)."""
    path = _display_name(name, root)
    data, unread = read_limited(name, path, MAX_FILE_BYTES)
    if data is None:
        return path, None, (None, unread)
    key = (path, digest(data))
    return path, key, None if key in cache else read_case(data, path, key[1])


def _display_name(name: str, root: Path | None) -> str:
    """:func:`display_path` of a listed case file, from its text where that is plainly under ``root`` (most files:
    at 100,000 files the Path objects took 1.5 s of CPU)."""
    if root is not None and os.sep == "/" and "//" not in name and "/." not in name:
        prefix = _prefix(root)
        if name.startswith(prefix):
            return name[len(prefix) :]
    return display_path(Path(name), root)


@functools.lru_cache(maxsize=8)
def _prefix(root: Path) -> str:
    return str(root.absolute()).rstrip("/") + "/"


def _never() -> tuple[RawCase | None, list[Diagnostic]]:
    raise AssertionError("a parse found in the cache by a worker is in the parent's cache too")


def load_root_causes(file: Path, root: Path | None = None) -> tuple[dict[str, object] | None, LineMap, list[Diagnostic]]:
    path = display_path(file, root)
    if not file.exists():
        return {}, {}, []
    try:
        size = file.stat().st_size
        if size > MAX_ROOT_CAUSES_BYTES:  # checked before reading: the bound is there for memory
            return None, {}, [diag(path, 1, f"file is {size:,} bytes, over the {MAX_ROOT_CAUSES_BYTES:,}-byte limit "
                                            "for the root-causes file; archive root causes nobody references")]
        data_bytes = file.read_bytes()
    except OSError as exc:  # a folder, or no permission: every case naming a root cause then says so
        what = "is a folder, not a file" if file.is_dir() else f"cannot be read ({exc.strerror or exc})"
        return None, {}, [diag(path, 1, f"{what}; the root causes must be one YAML file (set the plugin's root_causes)")]
    if not data_bytes.strip():
        return {}, {}, []
    text, problems = decode(data_bytes, path, MAX_ROOT_CAUSES_BYTES, "for the root-causes file")
    if text is None:
        return None, {}, problems
    data, lines, problems = parse_yaml(text, path)
    if problems:
        return None, lines, problems
    if data is None:
        return {}, lines, []
    if not isinstance(data, dict):
        return None, lines, [diag(path, 1, "root-causes.yml must map root-cause keys (RC-17: ...) to their fields")]
    return {str(k): v for k, v in data.items()}, lines, []
