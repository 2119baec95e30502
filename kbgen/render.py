"""Render stage: ``render(result, settings) -> Site``, every file of the site decided in one pure function.

Each page comes back finished: its body is HTML, rendered once by one Markdown instance
(reused for every page) and sanitised here, never in a builder's hook, so a builder that
runs no plugins (a plain `mkdocs build` of ``kbgen export``, Zensical) publishes the same
safe pages. The plugin only hands the ``Site`` to MkDocs; ``export.write`` writes it to a
folder. Rendering two editions is this function called twice with two ``Settings``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown

from . import feed, pages, safety, search
from .cache import BoundedCache
from .models import Result, Settings
from .pages import DataFile

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
"""kbgen's templates (the article's): a builder puts them after the site's own ``custom_dir``."""
CSS = "assets/kbgen/kbgen.css"
JS = "assets/kbgen/kbgen.js"

Toc = tuple[dict[str, Any], ...]
"""The page's headings as Python-Markdown's toc extension lists them (level, id, name, children): plain data."""
BodyCache = BoundedCache[bytes, tuple[str, Toc]]


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


class _Bodies:
    """Page Markdown to finished HTML with one Markdown instance, made on first use and reset between pages."""

    def __init__(self, settings: Settings, cache: BodyCache | None) -> None:
        self.settings = settings
        self.cache = cache if cache is not None else BoundedCache()
        # The key covers the Markdown setup too: a serve session whose mkdocs.yml changes must not reuse old HTML.
        self.setup = repr((settings.markdown_extensions, sorted((k, repr(v)) for k, v in settings.mdx_configs.items())))
        self._md: markdown.Markdown | None = None

    def html(self, page: pages.Page) -> tuple[str, Toc]:
        key = hashlib.blake2b(f"{self.setup}\0{page.sanitise}\0{page.body}".encode(), digest_size=20).digest()
        return self.cache.get(key, lambda: self._render(page.body, page.sanitise))

    def _render(self, body: str, sanitise: bool) -> tuple[str, Toc]:
        if self._md is None:
            self._md = markdown.Markdown(
                extensions=list(self.settings.markdown_extensions),
                extension_configs={k: dict(v) for k, v in self.settings.mdx_configs.items()},
            )
        html = self._md.reset().convert(body)
        toc = tuple(getattr(self._md, "toc_tokens", ()))
        return (safety.sanitise(html) if sanitise else html), toc


def _meta(page: pages.Page, settings: Settings) -> dict[str, object]:
    meta = dict(page.meta)
    if page.searchable and settings.search == "pagefind":
        meta["search"] = {"exclude": True}  # Pagefind indexes it; Material's own index keeps the rest small
    return meta


def _finish(page: pages.Page, bodies: _Bodies, settings: Settings) -> SitePage:
    html, toc = bodies.html(page)
    return SitePage(page.path, html, _meta(page, settings), toc, page.in_nav, page.searchable, page.sanitise)


def render(result: Result, settings: Settings, cache: BodyCache | None = None) -> Site:
    """Every page, data file and asset of the site. ``cache`` (kept by `kbgen serve`) skips unchanged bodies."""
    related = pages.related_articles(result.articles)
    made = [pages.article_page(a, related[a.id], result, settings) for a in result.articles]
    made += [pages.home_page(result, settings), pages.top_issues_page(result, settings), *pages.known_issues_pages(result)]
    made += pages.browse_pages(result.articles)
    bodies = _Bodies(settings, cache)
    site_pages = tuple(_finish(p, bodies, settings) for p in made)
    data = [
        *pages.api_files(result, settings),
        *pages.redirects(result, settings),
        pages.DataFile("feed.xml", feed.atom(result, settings, lambda a: pages.summary(a.best))),
    ]
    assets = [Asset(CSS, PACKAGE / "kbgen.css"), Asset(JS, PACKAGE / "kbgen.js")]
    if settings.search == "pagefind":
        assets.append(Asset(search.WORKER, search.WORKER_SOURCE))
    return Site(site_pages, tuple(data), tuple(assets), (CSS,), (JS,))
