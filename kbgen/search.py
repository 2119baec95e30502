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
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
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
    out = site_dir / output
    start = time.perf_counter()
    args = [sys.executable, "-m", "pagefind", "--quiet"]
    for selector_ in exclude:
        args += ["--exclude-selectors", selector_]
    if include_characters:
        args += ["--include-characters", include_characters]
    if language:
        args += ["--force-language", language]
    with tempfile.TemporaryDirectory(prefix="kbgen-search-") as tmp:
        staged = Path(tmp) / "site"
        staged.mkdir()
        staged_pages = 0
        for page in sorted(site_dir.glob(pattern)):
            rel = page.relative_to(site_dir)
            if rel.parts[0] == output:
                continue
            doc = prepare(page.read_text(encoding="utf-8"), selector)
            if doc is not None:
                (staged / rel).parent.mkdir(parents=True, exist_ok=True)
                (staged / rel).write_text(doc, encoding="utf-8")
                staged_pages += 1
        if staged_pages == 0:  # nothing published yet: no index, and search simply finds nothing
            if out.exists():
                shutil.rmtree(out)
            return IndexStats(0, 0, 0, time.perf_counter() - start)
        # The CLI, not pagefind's Python API: the API reads one answer per 0.1 s poll (10,000
        # add_html_file calls would take 17 minutes) and its add_directory took 25% longer.
        bundle = Path(tmp) / "bundle"
        proc = subprocess.run([*args, "--site", str(staged), "--output-path", str(bundle)], capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not (bundle / "pagefind-entry.json").exists():
            detail = [line for line in (proc.stderr + proc.stdout).splitlines() if line.strip()][:3]
            raise SearchIndexError("Pagefind failed: " + " / ".join(detail))
        # swapped in only when complete: no stale chunks, and a failed run leaves the old bundle
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(bundle), str(out))
    seconds = time.perf_counter() - start
    entry = json.loads((out / "pagefind-entry.json").read_text(encoding="utf-8"))
    pages = sum(int(lang.get("page_count", 0)) for lang in entry.get("languages", {}).values())
    files = sorted(p for p in out.rglob("*") if p.is_file())
    return IndexStats(pages, len(files), sum(p.stat().st_size for p in files), seconds)


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
    return f'<!doctype html>\n<html lang="{lang.group(1) if lang else "en"}">\n<head><meta charset="utf-8"></head>\n<body>\n{article}\n</body>\n</html>\n'


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
