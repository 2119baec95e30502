"""Render stage: ``render(result, settings) -> Site``, every file of the site decided in one pure function.

Each page comes back finished: its body is HTML, rendered once by one Markdown instance
(reused for every page) and sanitised here, never in a builder's hook, so a builder that
runs no plugins (a plain `mkdocs build` of ``kbgen export``, Zensical) publishes the same
safe pages. The plugin only hands the ``Site`` to MkDocs; ``export.write`` writes it to a
folder. Rendering two editions is this function called twice with two ``Settings``.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import markdown

from . import editions, feed, pages, plaintext, safety, search
from .cache import BoundedCache
from .models import Result, Settings
from .pages import DataFile
from .workers import fork_context

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
"""kbgen's templates (the article's): a builder puts them after the site's own ``custom_dir``."""
CSS = "assets/kbgen/kbgen.css"
JS = "assets/kbgen/kbgen.js"

Toc = tuple[dict[str, Any], ...]
"""The page's headings as Python-Markdown's toc extension lists them (level, id, name, children): plain data."""
BodyCache = BoundedCache[bytes, tuple[str, Toc]]
Job = tuple[str, tuple[pages.Part, ...], bool, bool]
"""A page body to render: (Markdown source, its finished parts, sanitise it, keep the home page's search label)."""


@dataclass(frozen=True)
class SitePage:
    """One page of the site: ``path`` is its source path (``kb/<id>/index.md``), ``html`` its finished body.

    ``meta`` is what the theme reads (title, template, search, kb_*); ``toc`` its headings for the theme's
    table of contents; ``searchable`` pages are the ones a reader's search finds (Pagefind indexes them);
    ``sanitised`` tells whether case text went through ``safety.sanitise`` (False only for a page built
    from escaped strings alone).
    """

    path: str
    html: str
    meta: dict[str, object]
    toc: Toc = ()
    in_nav: bool = False
    searchable: bool = False
    sanitised: bool = True

    @property
    def url(self) -> str:
        return self.path.removesuffix("index.md")


@dataclass(frozen=True)
class Asset:
    """A static file the site needs, copied as is from ``source``."""

    path: str
    source: Path


@dataclass(frozen=True)
class Site:
    """Everything a builder writes: pages, data files (JSON, feed, redirects) and assets, in a stable order."""

    pages: tuple[SitePage, ...]
    data: tuple[DataFile, ...]
    assets: tuple[Asset, ...]
    css: tuple[str, ...]
    javascript: tuple[str, ...]
    templates: Path = TEMPLATES


PARALLEL_FROM = 400
"""Bodies to render before a pool of worker processes pays for its start-up (about a second)."""


class _Renderer:
    """One Markdown instance for a run of pages, reset between them (MkDocs builds a fresh one per page)."""

    def __init__(self, extensions: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
        self.md = markdown.Markdown(extensions=list(extensions), extension_configs=configs)

    def __call__(self, job: Job) -> tuple[str, Toc]:
        source, parts, sanitise, search_label = job
        html, toc = self.convert(source, sanitise, search_label)
        if not parts:
            return html, toc
        filled = _fill(html, parts)
        if filled is None:  # an extension of the site's changed a token's paragraph: the whole page the slow way
            for part in parts:
                source = source.replace(part.token, part.finished().strip(), 1)
            return self.convert(source, sanitise, search_label)
        return filled, toc

    def convert(self, source: str, sanitise: bool, search_label: bool) -> tuple[str, Toc]:
        html = self.md.reset().convert(source)
        toc = tuple(getattr(self.md, "toc_tokens", ()))
        return (safety.sanitise(html, search_label=search_label) if sanitise else html), toc


_TOKEN = re.compile(r"<p>(kbgenpart[0-9a-f]+n[0-9]+)</p>")


def _fill(html: str, parts: tuple[pages.Part, ...]) -> str | None:
    """The page with each part in its token's paragraph, in one pass (a part's own text is never searched
    for tokens); None unless every token's paragraph is there exactly once."""
    by_token = {p.token: p for p in parts}
    if sorted(_TOKEN.findall(html)) != sorted(by_token):
        return None
    # each part ends its line as the raw HTML block it replaces did, the page's last line included
    filled = _TOKEN.sub(lambda m: by_token[m.group(1)].finished().strip() + "\n", html)
    return filled if html.endswith("\n") else filled.removesuffix("\n")


_worker: _Renderer | None = None
"""The renderer of a pool worker process (set by its initializer); the main process never sets it."""


def _start_worker(extensions: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
    global _worker
    _worker = _Renderer(extensions, configs)


def _work(job: Job) -> tuple[str, Toc]:
    assert _worker is not None
    return _worker(job)


def _fork() -> multiprocessing.context.BaseContext | None:
    return fork_context()


def _render_all(jobs: list[Job], settings: Settings, workers: int) -> list[tuple[str, Toc]]:
    """Each body's HTML and headings, in order; many bodies are shared out to ``workers`` processes."""
    setup = (tuple(settings.markdown_extensions), {k: dict(v) for k, v in settings.mdx_configs.items()})
    context = _fork()
    if workers > 1 and len(jobs) >= PARALLEL_FROM and context is not None:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=setup) as pool:
            return list(pool.map(_work, jobs, chunksize=max(8, len(jobs) // (workers * 8))))
    if not jobs:
        return []
    one = _Renderer(*setup)
    return [one(job) for job in jobs]


def _key(setup: str, page: pages.Page) -> bytes:
    # The Markdown setup is part of the key: a serve session whose mkdocs.yml changes must not reuse old HTML.
    parts = "\0".join(f"{p.token}\0{p.sanitise}\0{p.html}" for p in page.parts)
    text = f"{setup}\0{page.sanitise}\0{page.search_label}\0{page.source}\0{parts}"
    return hashlib.blake2b(text.encode(), digest_size=20).digest()


def _meta(page: pages.Page, settings: Settings) -> dict[str, object]:
    meta = dict(page.meta)
    if page.searchable and settings.search == "pagefind":
        meta["search"] = {"exclude": True}  # Pagefind indexes it; Material's own index keeps the rest small
    return meta


def render(result: Result, settings: Settings, cache: BodyCache | None = None, workers: int = 1) -> Site:
    """Every page, data file and asset of the site.

    ``cache`` (kept by `kbgen serve`) skips bodies rendered before; ``workers`` > 1 shares the Markdown
    of a large site out to that many processes. Neither changes a byte of what comes back.
    """
    result = editions.view(result, settings.team)
    if settings.top_issues == "counts":
        result = replace(result, top=editions.counts_only(result.top))
    related = pages.related_articles(result.articles)
    # each solution's plain text once: the page's description and reply, and the feed's summary, all read it
    texts = {a.id: plaintext.to_text(a.best.solution) for a in result.articles}
    made = [pages.article_page(a, related[a.id], result, settings, texts[a.id]) for a in result.articles]
    made += [pages.home_page(result, settings), *pages.known_issues_pages(result, settings.team)]
    if settings.top_issues != "off":
        made.append(pages.top_issues_page(result, settings))
    made += pages.browse_pages(result.articles)
    cache = cache if cache is not None else BoundedCache()
    setup = repr((settings.markdown_extensions, sorted((k, repr(v)) for k, v in settings.mdx_configs.items())))
    keys = [_key(setup, p) for p in made]
    bodies: dict[bytes, tuple[str, Toc]] = {}
    todo: dict[bytes, Job] = {}
    for key, page in zip(keys, made, strict=True):
        hit = cache.peek(key)
        if hit is not None:
            bodies[key] = hit
        elif key not in todo:
            todo[key] = (page.source, page.parts, page.sanitise, page.search_label)
    for key, done in zip(todo, _render_all(list(todo.values()), settings, workers), strict=True):
        bodies[key] = done
        cache.put(key, done)
    site_pages = tuple(
        SitePage(p.path, bodies[k][0], _meta(p, settings), bodies[k][1], p.in_nav, p.searchable, p.sanitise)
        for k, p in zip(keys, made, strict=True)
    )
    data = [
        *pages.api_files(result, settings),
        *pages.redirects(result, settings),
        pages.DataFile("feed.xml", feed.atom(result, settings, lambda a: pages.summary(a.best, text=texts.get(a.id)))),
    ]
    if settings.team:
        data.append(pages.DataFile("robots.txt", "User-agent: *\nDisallow: /\n"))
    assets = [Asset(CSS, PACKAGE / "kbgen.css"), Asset(JS, PACKAGE / "kbgen.js")]
    if settings.search == "pagefind":
        assets.append(Asset(search.WORKER, search.WORKER_SOURCE))
    return Site(site_pages, tuple(data), tuple(assets), (CSS,), (JS,))
