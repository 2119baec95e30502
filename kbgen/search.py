"""Search at scale: a Pagefind index of the articles, answered inside Material's own search box.

Material for MkDocs downloads its whole lunr index (``search/search_index.json``, 10 MB
at 10,000 articles) before the first result. Pagefind splits its index into small
chunks and fetches only those a query needs, plus one fragment per result shown.

Material runs its search in a web worker whose URL it reads from ``<script
id="__config">`` ("search"); that is its documented way to plug in another search
engine. kbgen ships such a worker (``search_assets/search-worker.js``) that speaks
Material's worker messages and answers from Pagefind, so Material keeps its search box,
result markup, keyboard handling and highlighting, and no second script fights over the
result list. Articles are kept out of Material's index (page meta ``search: {exclude:
true}``), so ``search_index.json`` stays a few hundred bytes.

Nothing here knows MkDocs; the plugin calls:

- ``WORKER`` / ``WORKER_SOURCE``: add the worker to the site (``on_files``);
- ``use_worker(html)``: point every page's Material config at it (``on_post_page`` and
  ``on_post_template``);
- ``index_site(site_dir)``: write ``site_dir/pagefind/`` after the build (``on_post_build``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import words

PACKAGE = Path(__file__).parent
WORKER = "assets/kbgen/search-worker.js"
"""Where the worker lives in the site. The worker finds the site root relative to this path."""
WORKER_SOURCE = PACKAGE / "search_assets" / "search-worker.js"
OUTPUT = "pagefind"
"""The bundle folder under the site root; the worker loads ``<root>/pagefind/pagefind.js``."""
SELECTOR = "article.md-content__inner"
"""Material's article element: pages without one (redirect stubs) are not indexed."""
PATTERN = "kb/**/index.html"
EXCLUDE = (
    ".headerlink",          # the ¶ permalinks the toc extension adds to headings
    ".md-content__button",  # edit / view source buttons
    ".md-source-file",      # "last update" footer
    ".kb-actions",          # Copy link / Copy reply / feedback
    ".kb-related",          # links to other articles: their titles must not rank this page
    "[data-pagefind-ignore]",
)
INCLUDE_CHARACTERS = ""
"""Pagefind already keeps ``_`` inside words (``ERR_SYNC_CONFLICT``); ``-`` and ``.`` are left
as separators so ``Helvetica-Bold`` is found by ``helvetica`` and ``bold`` too."""

_CONFIG_SEARCH = re.compile(
    # tojson writes "<" as \u003c, so [^<]* stays inside the config script
    r'(<script id="__config" type="application/json">[^<]*?"search":\s*")'
    r'([^"]*?)assets/javascripts/workers/search\.[0-9a-f]+\.min\.js(")'
)


class SearchIndexError(RuntimeError):
    """Pagefind could not index the site."""


@dataclass(frozen=True)
class IndexStats:
    pages: int
    """Pages indexed (articles; redirect stubs and pages without the selector are skipped)."""
    files: int
    """Files written under ``site_dir/pagefind/``."""
    bytes: int
    """Their total size."""
    seconds: float

    def __str__(self) -> str:
        return f"{words.count(self.pages, 'page')}, {words.count(self.files, 'file')}, {self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s"


def use_worker(html: str, worker: str = WORKER) -> str:
    """Point Material's search (``__config``'s "search" URL) at kbgen's Pagefind worker.

    The relative prefix Material wrote (``../../`` at any depth) is kept, so the page keeps
    working from any folder and any host. Pages without Material's search are returned as is.
    """
    return _CONFIG_SEARCH.sub(lambda m: f"{m.group(1)}{m.group(2)}{worker}{m.group(3)}", html, count=1)


def _args(exclude: Sequence[str], include_characters: str, language: str | None) -> list[str]:
    args = [sys.executable, "-m", "pagefind", "--quiet"]
    for selector_ in exclude:
        args += ["--exclude-selectors", selector_]
    if include_characters:
        args += ["--include-characters", include_characters]
    if language:
        args += ["--force-language", language]
    return args


def _stage(docs: Iterable[tuple[str, str]], tmp: Path) -> int:
    """Write ``docs`` (path under the site, prepared document) under ``tmp/site``; how many."""
    staged = tmp / "site"
    staged.mkdir()
    count = 0
    for rel, doc in docs:
        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
        (staged / rel).write_text(doc, encoding="utf-8")
        count += 1
    return count


MEMORY = Path("/dev/shm")
"""Linux's memory file system, where Pagefind's documents are staged when it has room."""


def _staging_parent(size: int, memory: Path = MEMORY) -> str | None:
    """The folder to stage ``size`` bytes of documents in: ``memory`` when it can be written and keeps room to spare
    (a container's is often 64 MB), else None, the system's temporary folder."""
    try:
        free = os.statvfs(memory)
    except OSError:
        return None
    if not os.access(memory, os.W_OK) or free.f_bavail * free.f_frsize < 2 * size + (64 << 20):
        return None
    return str(memory)


class _Workspace:
    """Pagefind's temporary folders: the documents it reads under ``stage/site`` and its log, and the bundle it writes
    beside the site when that folder can be written (``near``), so that swapping the bundle in is a rename, not a
    copy of thousands of files.

    The documents (``size`` bytes) are staged in memory (``/dev/shm``) when there is room: writing 9,000 small
    files there took 0.3 s against 4-8 s on this machine's disk, and removing them is as quick. Pagefind numbers
    pages in the order their folder lists them, which differs between file systems; the search worker breaks ties
    by page id, so results rank the same either way (only the bundle's bytes can differ)."""

    def __init__(self, near: Path | None = None, size: int = 0) -> None:
        self._stage = tempfile.TemporaryDirectory(prefix="kbgen-search-", dir=_staging_parent(size))
        self._out: tempfile.TemporaryDirectory[str] | None = None
        if near is not None and near.is_dir() and os.access(near, os.W_OK):
            self._out = tempfile.TemporaryDirectory(prefix=".kbgen-pagefind-", dir=near)
        self.tmp = Path(self._stage.name)
        self.site = self.tmp / "site"
        self.log = self.tmp / "log"
        self.bundle = Path(self._out.name if self._out is not None else self._stage.name) / "bundle"

    def argv(self, args: list[str]) -> list[str]:
        return [*args, "--site", str(self.site), "--output-path", str(self.bundle)]

    def cleanup(self) -> None:
        self._stage.cleanup()
        if self._out is not None:
            self._out.cleanup()


def _pagefind(work: _Workspace, args: list[str]) -> subprocess.Popen[bytes]:
    """Pagefind started on the documents staged in ``work``, its output in ``work.log``.

    The CLI, not pagefind's Python API: the API reads one answer per 0.1 s poll (10,000
    add_html_file calls would take 17 minutes) and its add_directory took 25% longer.
    """
    with work.log.open("wb") as log:
        return subprocess.Popen(work.argv(args), stdout=log, stderr=log)


_STAGE_THEN_INDEX = "import sys; from kbgen.search import _stage_then_index; _stage_then_index(sys.argv[1], sys.argv[2:])"


def _pagefind_staging(docs: Sequence[tuple[str, str]], work: _Workspace, args: list[str]) -> subprocess.Popen[bytes]:
    """Like ``_pagefind``, but the documents are written out by the new process itself, from one file.

    Thousands of small files and folders take a while to create; in a process of its own that runs on the
    second core while MkDocs renders its templates on the first, instead of before it.
    """
    (work.tmp / "docs.json").write_text(json.dumps(docs), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(PACKAGE.parent), os.environ.get("PYTHONPATH"))))}
    with work.log.open("wb") as log:
        return subprocess.Popen([sys.executable, "-c", _STAGE_THEN_INDEX, str(work.tmp), *work.argv(args)],
                                stdout=log, stderr=log, env=env)


def _stage_then_index(tmp: str, argv: list[str]) -> None:
    """In the process ``_pagefind_staging`` started: write the documents, then become Pagefind (same process, so
    waiting for it or killing it reaches Pagefind)."""
    root = Path(tmp)
    _stage(json.loads((root / "docs.json").read_text(encoding="utf-8")), root)
    os.execv(argv[0], argv)


def _finished(proc: subprocess.Popen[bytes], work: _Workspace) -> Path:
    """Pagefind's bundle once ``proc`` is done, or SearchIndexError with what it said."""
    if proc.wait() != 0 or not (work.bundle / "pagefind-entry.json").exists():
        detail = [line for line in work.log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()][:3]
        raise SearchIndexError("Pagefind failed: " + " / ".join(detail))
    return work.bundle


def _swap_in(bundle: Path | None, out: Path, start: float) -> IndexStats:
    """The new bundle in place of the old one (swapped in only when complete: no stale chunks, and a failed run
    leaves the old bundle); no bundle, no index, and search simply finds nothing."""
    if out.exists():
        shutil.rmtree(out)
    if bundle is None:
        return IndexStats(0, 0, 0, time.perf_counter() - start)
    shutil.move(str(bundle), str(out))
    seconds = time.perf_counter() - start
    entry = json.loads((out / "pagefind-entry.json").read_text(encoding="utf-8"))
    pages = sum(int(lang.get("page_count", 0)) for lang in entry.get("languages", {}).values())
    files = sorted(p for p in out.rglob("*") if p.is_file())
    return IndexStats(pages, len(files), sum(p.stat().st_size for p in files), seconds)


def index_site(
    site_dir: Path,
    *,
    selector: str = SELECTOR,
    pattern: str = PATTERN,
    exclude: Sequence[str] = EXCLUDE,
    include_characters: str = INCLUDE_CHARACTERS,
    language: str | None = None,
    output: str = OUTPUT,
) -> IndexStats:
    """Index the built article pages of ``site_dir`` into ``site_dir/<output>/`` with Pagefind.

    Only the article element (``selector``, a ``tag.class``) of pages matching ``pattern`` is
    indexed, prepared by ``prepare``; pages without it (redirect stubs) are skipped. The new
    bundle replaces the old one only when Pagefind succeeded. Same pages in, same bytes out.
    """
    site_dir = Path(site_dir).resolve()
    if not site_dir.is_dir():
        raise SearchIndexError(f"no site at {site_dir}")
    start = time.perf_counter()
    docs = list(site_documents(site_dir, selector, pattern, output))
    work = _Workspace(site_dir.parent, sum(len(doc) for _, doc in docs))
    try:
        if _stage(docs, work.tmp) == 0:
            return _swap_in(None, site_dir / output, start)
        return _swap_in(_finished(_pagefind(work, _args(exclude, include_characters, language)), work), site_dir / output, start)
    finally:
        work.cleanup()


def site_documents(site_dir: Path, selector: str = SELECTOR, pattern: str = PATTERN, output: str = OUTPUT) -> Iterator[tuple[str, str]]:
    """What ``index_site`` indexes: each built page's path under ``site_dir`` and its ``prepare``d document."""
    for page in sorted(site_dir.glob(pattern)):
        rel = page.relative_to(site_dir)
        if rel.parts[0] == output:
            continue
        doc = prepare(page.read_text(encoding="utf-8"), selector)
        if doc is not None:
            yield rel.as_posix(), doc


def matches(rel: str, pattern: str = PATTERN) -> bool:
    """Whether a path under the site (``kb/x/index.html``) is one ``Path.glob(pattern)`` finds there."""
    parts = (re.escape(part).replace(r"\*", "[^/]*") for part in pattern.split("/"))
    regex = "/".join(parts).replace("[^/]*[^/]*/", "(?:[^/]+/)*")  # "**/": any folders, none too
    return re.fullmatch(regex, rel) is not None


def document(body: str, lang: str) -> str:
    """The document search should see for a page whose finished body (``page.content``) is ``body``: what
    ``prepare`` makes of the built page, less what the theme adds around the body."""
    return _document(_drop_related(f'<article class="md-content__inner md-typeset">\n{body}\n</article>'), lang)


def _document(article: str, lang: str) -> str:
    return f'<!doctype html>\n<html lang="{lang}">\n<head><meta charset="utf-8"></head>\n<body>\n{article}\n</body>\n</html>\n'


_KB_ACTIONS = re.compile(r'<div class="kb-actions"[^>]*>.*?</div>', re.DOTALL)
_ARTICLE_INNER = re.compile(r"<article\b[^>]*>(.*)</article>", re.DOTALL)


def same_for_search(built: str, early: str) -> bool:
    """Whether two prepared documents are the same to Pagefind: the same language and the same article, but for
    the whitespace around it and kbgen's action buttons (an excluded selector, with no nested div)."""

    def key(doc: str) -> tuple[str, str]:
        lang = _HTML_LANG.search(doc)
        inner = _ARTICLE_INNER.search(doc)
        return (lang.group(1) if lang else "", _KB_ACTIONS.sub("", inner.group(1)).strip() if inner else doc)

    return key(built) == key(early)


class EarlyIndex:
    """Pagefind run on documents made from the rendered pages, while MkDocs writes the site.

    Pagefind is a process of its own, so it uses the second core while MkDocs renders its templates on the first.
    What it indexed is only used when every built page is what it was told (``check`` on each, then
    ``finish``); otherwise ``finish`` returns None and the caller indexes the built site as before.
    The documents go to Pagefind's process in one file, and that process writes them out before it indexes: a thread
    of this process writing them would wait for the interpreter lock behind MkDocs at every file.
    """

    def __init__(self, docs: dict[str, str], *, exclude: Sequence[str] = EXCLUDE, include_characters: str = INCLUDE_CHARACTERS,
                 language: str | None = None, near: Path | None = None) -> None:
        """``near``: a folder on the site's file system (the site folder's parent) for the bundle, if it can be written."""
        self.docs = docs
        self.matched: set[str] = set()
        self.mismatch = False
        self.start = time.perf_counter()
        self._work = _Workspace(near, sum(len(doc) for doc in docs.values()))
        self._proc = _pagefind_staging(sorted(docs.items()), self._work, _args(exclude, include_characters, language)) if docs else None

    def check(self, rel: str, built_page: str, selector: str = SELECTOR) -> None:
        """A page MkDocs just built at ``rel`` (under the site): it must be what Pagefind was given, or not indexed at all."""
        if not matches(rel):
            return
        doc = prepare(built_page, selector)
        early = self.docs.get(rel)
        if doc is None and early is None:
            return
        if doc is None or early is None or not same_for_search(doc, early):
            self.mismatch = True
        else:
            self.matched.add(rel)

    def cancel(self) -> None:
        """The build failed: stop Pagefind and throw its work away."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
        self._work.cleanup()

    def finish(self, site_dir: Path, output: str = OUTPUT) -> IndexStats | None:
        """The bundle swapped into ``site_dir``, or None if any page differed from what Pagefind was given."""
        try:
            if self.mismatch or self.matched != set(self.docs):
                if self._proc is not None:
                    self._proc.kill()
                    self._proc.wait()
                return None
            try:
                bundle = _finished(self._proc, self._work) if self._proc is not None else None
            except SearchIndexError:
                return None  # the built site is indexed instead, and that run reports the failure
            return _swap_in(bundle, Path(site_dir) / output, self.start)
        finally:
            self._work.cleanup()


_HTML_LANG = re.compile(r'<html\b[^>]*\blang="([^"]+)"', re.IGNORECASE)


def prepare(page: str, selector: str = SELECTOR) -> str | None:
    """The part of a built page that search should see, as a small HTML document; None without one.

    Keeps the page's language and the article element only (not the nav, header or footer),
    and drops the "Related articles" list: other articles' titles there would rank this page
    above the article whose title they are.
    """
    tag, _, cls = selector.partition(".")
    article = _element(page, tag or "article", cls)
    if article is None:
        return None
    article = _drop_related(article)
    lang = _HTML_LANG.search(page)
    return _document(article, lang.group(1) if lang else "en")


def _element(page: str, tag: str, cls: str) -> str | None:
    """The first <tag class="... cls ..."> element of page, nested same-name tags counted."""
    opening = re.compile(rf'<{tag}\b[^>]*\bclass="(?:[^"]*\s)?{re.escape(cls)}(?:\s[^"]*)?"[^>]*>', re.IGNORECASE)
    first = opening.search(page)
    if first is None:
        return None
    depth = 0
    for m in re.compile(rf"<(/?){tag}\b[^>]*>", re.IGNORECASE).finditer(page, first.start()):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return page[first.start():m.end()]
    return None


RELATED_ID = "related-articles"
"""The id Python-Markdown gives kbgen's "## Related articles" heading."""
_RELATED = re.compile(rf'<h2\b[^>]*\bid="{RELATED_ID}"[^>]*>.*?(?=<h2\b|<div class="kb-actions"|</article>)', re.DOTALL)


def _drop_related(article: str) -> str:
    return _RELATED.sub("", article)
