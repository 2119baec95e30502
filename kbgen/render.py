"""Render stage: ``render(result, settings) -> Site``, every file of the site decided in one pure function.

Each page comes back finished: its body is HTML, rendered once by one Markdown instance
(reused for every page) and sanitised here, never in a builder's hook, so a builder that
runs no plugins (a plain `mkdocs build` of ``kbgen export``, Zensical) publishes the same
safe pages. The plugin only hands the ``Site`` to MkDocs; ``export.write`` writes it to a
folder. Rendering two editions is this function called twice with two ``Settings``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import markdown

from . import editions, feed, pages, plaintext, safety, search
from .cache import BoundedCache
from .models import Article, Result, Settings
from .pages import DataFile
from .workers import fork_context, start_worker

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
        self.headings_only: bool | None = None  # None until the first page says whether the site's extensions allow it
        self.split: bool | None = None  # the same for a title converted apart from the sections' headings
        self.sections: dict[tuple[tuple[str, ...], bool, bool], tuple[list[str], Toc]] = {}
        self.batch: bool | None = None  # the same for titles converted many in one go (see prefill)
        self.titles: dict[str, tuple[str, dict[str, Any]]] = {}  # title line -> its HTML line (not sanitised) and toc item

    def prefill(self, jobs: Sequence[Job]) -> None:
        """The titles ("# ...") of a run of articles converted in one Python-Markdown call, not one each: a call
        costs about as much for one line as for a hundred. Checked once per renderer against converting the first
        few alone; a title whose anchor the batch numbered ("x_1"), or a batch that did not come back one heading
        a title, is converted alone as before."""
        self.titles.clear()
        if self.batch is False:
            return
        heads = list(dict.fromkeys(t for t in (_title_line(job) for job in jobs) if t is not None))
        if len(heads) < 2:
            return
        html, toc = self.convert("\n\n".join(heads), sanitise=False, search_label=False)
        lines = html.split("\n")
        if len(lines) != len(heads) or len(toc) != len(heads) or not all(line.startswith("<h1") for line in lines):
            self.batch = False
            return
        batch = {h: (line, item) for h, line, item in zip(heads, lines, toc, strict=True)
                 if not item.get("children") and not re.search(r"_\d+$", str(item.get("id", "")))}
        if self.batch is None:
            alone = {h: self._title_alone(h) for h in list(batch)[:3]}
            self.batch = all(batch[h] == one for h, one in alone.items())
            if not self.batch:
                return
        self.titles = batch

    def _title_alone(self, head: str) -> tuple[str, dict[str, Any]] | None:
        html, toc = self.convert(head, sanitise=False, search_label=False)
        return (html, toc[0]) if "\n" not in html and len(toc) == 1 else None

    def title(self, head: str, sanitise: bool, search_label: bool) -> tuple[str, Toc]:
        """A page's title line as HTML and its table of contents, from :meth:`prefill`'s batch when it is there."""
        found = self.titles.get(head)
        if found is None:
            return self.convert(head, sanitise, search_label)
        html, item = found
        return (safety.sanitise(html, search_label=search_label) if sanitise else html), (item,)

    def __call__(self, job: Job) -> tuple[str, Toc]:
        if self.headings_only is not False and job[1]:
            fast = self._headings(job)
            if fast is not None and self.headings_only is None:  # checked once against the whole page's conversion
                self.headings_only = fast == self._tokens(job)
            if fast is not None and self.headings_only:
                return fast
        return self._tokens(job)

    def _headings(self, job: Job) -> tuple[str, Toc] | None:
        """A page made of headings and parts only (an article): only its headings go through Python-Markdown, the
        parts are put between them. None for any other page, or if the headings did not come back one a line."""
        source, parts, sanitise, search_label = job
        by_token = {p.token: p for p in parts}
        blocks = source.rstrip("\n").split("\n\n")
        heads = [b for b in blocks if b not in by_token]
        if len(blocks) - len(heads) != len(by_token) or not all(_HEADING.fullmatch(h) for h in heads):
            return None
        lines, toc = self._heading_lines(heads, sanitise, search_label)
        if len(lines) != len(heads) or not all(line.startswith("<h") for line in lines):
            return None
        made = iter(lines)
        # as _fill puts each part in its token's paragraph
        out = [by_token[b].finished().strip() + ("" if _is_list(b) else "\n") if b in by_token else next(made) for b in blocks]
        return "\n".join(out).removesuffix("\n"), toc

    def _heading_lines(self, heads: list[str], sanitise: bool, search_label: bool) -> tuple[list[str], Toc]:
        """The headings' HTML lines and table of contents. An article's section headings ("## Problem", ...) are the
        same on most pages: they are converted once per renderer and the title alone, unless an anchor could clash."""
        split = self._split(heads, sanitise, search_label) if self.split is not False else None
        if split is not None and self.split is None:  # checked once against the headings' conversion together
            html, toc = self.convert("\n\n".join(heads), sanitise, search_label)
            self.split = split == (html.split("\n"), toc)
        if split is not None and self.split:
            return split
        html, toc = self.convert("\n\n".join(heads), sanitise, search_label)
        return (html.split("\n") if heads else []), toc

    def _split(self, heads: list[str], sanitise: bool, search_label: bool) -> tuple[list[str], Toc] | None:
        if len(heads) < 2 or not heads[0].startswith("# ") or any(h.startswith("# ") for h in heads[1:]):
            return None
        key = (tuple(heads[1:]), sanitise, search_label)
        if key not in self.sections:
            html, toc = self.convert("\n\n".join(heads[1:]), sanitise, search_label)
            self.sections[key] = html.split("\n"), toc
        lines, toc = self.sections[key]
        title, title_toc = self.title(heads[0], sanitise, search_label)
        if "\n" in title or len(title_toc) != 1 or title_toc[0].get("children"):
            return None
        # an anchor the title's shares with a section's (or one the toc extension would number: "cause_1") is made
        # unique in the order of the whole page, which converting apart would not do
        stem = re.sub(r"_\d+$", "", str(title_toc[0].get("id", "")))
        if any(re.sub(r"_\d+$", "", i) == stem for i in _anchors(toc)):
            return None
        return [title, *lines], (dict(title_toc[0], children=list(toc)),)

    def _tokens(self, job: Job) -> tuple[str, Toc]:
        """The page's Markdown converted whole, each part's token paragraph then replaced by the part."""
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

    def items(self, lines: tuple[str, ...]) -> tuple[str, ...] | None:
        """Each line of a tight list ("- ...") as its sanitised ``<li>`` element, from one conversion of them all;
        None unless every line became exactly one ``<li>`` line of one ``<ul>``."""
        html = safety.sanitise(self.md.reset().convert("\n".join(lines)))
        if not (html.startswith("<ul>\n") and html.endswith("\n</ul>")):
            return None
        out = tuple(html[len("<ul>\n"): -len("\n</ul>")].split("\n"))
        ok = len(out) == len(lines) and all(li.startswith("<li>") and li.endswith("</li>") and li.count("<li>") == 1 for li in out)
        return out if ok else None


def _anchors(toc: Iterable[dict[str, Any]]) -> Iterable[str]:
    for item in toc:
        yield str(item.get("id", ""))
        yield from _anchors(item.get("children", ()))


_TOKEN = re.compile(r"<p>(kbgenpart[0-9a-f]+[nl][0-9]+)</p>")
_HEADING = re.compile(r"#{1,6} [^\n]*")


def _is_list(token: str) -> bool:
    return token.rstrip("0123456789").endswith("l")


def _fill(html: str, parts: tuple[pages.Part, ...]) -> str | None:
    """The page with each part in its token's paragraph, in one pass (a part's own text is never searched
    for tokens); None unless every token's paragraph is there exactly once."""
    by_token = {p.token: p for p in parts}
    if sorted(_TOKEN.findall(html)) != sorted(by_token):
        return None
    # each part ends its line as the raw HTML block it replaces did, the page's last line included; a list
    # ("l" token) as Python-Markdown ends one, with no blank line after it
    filled = _TOKEN.sub(lambda m: by_token[m.group(1)].finished().strip() + ("" if _is_list(m.group(1)) else "\n"), html)
    return filled if html.endswith("\n") else filled.removesuffix("\n")


_worker: _Renderer | None = None
"""The renderer of a pool worker process (set by its initializer); the main process never sets it."""

T = TypeVar("T")
R = TypeVar("R")


def _start_worker(extensions: tuple[str, ...], configs: dict[str, dict[str, Any]]) -> None:
    global _worker
    start_worker()
    _worker = _Renderer(extensions, configs)


def _work(task: tuple[Callable[[_Renderer, T], R], T]) -> R:
    assert _worker is not None
    return task[0](_worker, task[1])


class _Pool:
    """Where a render's work runs: worker processes for a large site (started once, for every kind of task),
    else this process with one renderer."""

    def __init__(self, settings: Settings, workers: int, size: int) -> None:
        self.setup = (tuple(settings.markdown_extensions), {k: dict(v) for k, v in settings.mdx_configs.items()})
        self.workers = workers
        self.local: _Renderer | None = None
        context = fork_context()
        self.pool = (
            ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=self.setup)
            if workers > 1 and size >= PARALLEL_FROM and context is not None else None
        )

    def renderer(self) -> _Renderer:
        if self.local is None:
            self.local = _Renderer(*self.setup)
        return self.local

    def map(self, task: Callable[[_Renderer, T], R], args: list[T]) -> list[R]:
        """``task(renderer, arg)`` for each arg, in order."""
        return list(self.imap(task, args))

    def imap(self, task: Callable[[_Renderer, T], R], args: list[T], chunk: int | None = None) -> Iterator[R]:
        """Like :meth:`map`, but the workers start at once and the results come as they are read: this process can do
        other work meanwhile. ``chunk``: args sent to a worker at a time (default: an eighth of a worker's share)."""
        if self.pool is None or len(args) < 2:
            return (task(self.renderer(), a) for a in args)
        chunk = chunk or max(8, len(args) // (self.workers * 8))
        return self.pool.map(_work, [(task, a) for a in args], chunksize=chunk)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)  # after a failure, no rendering of what nobody will read


def _bodies(renderer: _Renderer, jobs: list[Job]) -> list[tuple[str, Toc]]:
    renderer.prefill(jobs)
    return [renderer(job) for job in jobs]


BODIES_PER_TASK = 200
"""Pages rendered together: their titles are converted in one call (see ``_Renderer.prefill``)."""


def _title_line(job: Job) -> str | None:
    """An article's title line ("# ..."), the first block of its source."""
    first = job[0].split("\n\n", 1)[0]
    return first if job[1] and first.startswith("# ") and "\n" not in first else None


def _items(renderer: _Renderer, lines: tuple[str, ...]) -> tuple[str, ...] | None:
    return renderer.items(lines)


def _text(renderer: _Renderer, html: str) -> str:
    return pages.solution_plaintext(html)


def _line(renderer: _Renderer, source: str) -> str:
    return plaintext.to_line(source)


ITEMS_PER_TASK = 500
"""List lines converted together: one conversion per task, not per page."""


def _lookup(cache: BodyCache, kind: str, setup: str, values: Iterable[str]) -> tuple[dict[str, str], dict[str, bytes]]:
    """Each distinct value's result found in the cache, and the cache key of each value that is not."""
    out: dict[str, str] = {}
    misses: dict[str, bytes] = {}
    for value in dict.fromkeys(values):
        key = hashlib.blake2b(f"{kind}\0{setup}\0{value}".encode(), digest_size=20).digest()
        hit = cache.peek(key)
        if hit is None:
            misses[value] = key
        else:
            out[value] = hit[0]
    return out, misses


def _memo(cache: BodyCache, kind: str, setup: str, values: Iterable[str], make: Callable[[list[str]], dict[str, str]]) -> dict[str, str]:
    """Each distinct value's result: from the cache, else made (every miss in one call) and kept there.
    A value ``make`` leaves out has no result."""
    out, misses = _lookup(cache, kind, setup, values)
    made = make(list(misses)) if misses else {}
    for value, result in made.items():
        cache.put(misses[value], (result, ()))
    return out | made


class _Streamed:
    """Results by value: those the cache had, and the rest read as they are asked for, in the order they are made
    (``made`` yields one result per miss, in order), each kept in the cache as it comes."""

    def __init__(self, cache: BodyCache, kind: str, setup: str, values: Iterable[str], make: Callable[[list[str]], Iterator[str]]) -> None:
        self.known, self.misses = _lookup(cache, kind, setup, values)
        self.cache = cache
        self.made = zip(list(self.misses), make(list(self.misses)), strict=True)

    def __getitem__(self, value: str) -> str:
        while value not in self.known:
            done, result = next(self.made)
            self.known[done] = result
            self.cache.put(self.misses[done], (result, ()))
        return self.known[value]


def _plain(articles: Sequence[Article], pool: _Pool, cache: BodyCache) -> tuple[Callable[[str], str], dict[str, str]]:
    """Each article's solution as plain text (its description, *Copy reply* and feed summary read it) and its
    title on one line (*Copy reply*'s first line), by article id. The texts come as they are asked for: the
    workers make the later ones while this process builds the pages of the first."""

    def lines(sources: list[str]) -> dict[str, str]:
        return dict(zip(sources, pool.map(_line, sources), strict=True))

    titles = _memo(cache, "line", "", (a.best.title for a in articles), lines)
    html = {a.id: pages.solution_html(a.best) for a in articles}
    solutions = _Streamed(cache, "solution", "", html.values(), lambda sources: pool.imap(_text, sources))
    return lambda article_id: solutions[html[article_id]], {a.id: titles[a.best.title] for a in articles}


def _list_items(lines: list[str], pool: _Pool) -> dict[str, str]:
    """Each list line's ``<li>``, a few hundred lines per conversion; a line that is not one ``<li>`` alone is left out."""
    chunks = [tuple(lines[i: i + ITEMS_PER_TASK]) for i in range(0, len(lines), ITEMS_PER_TASK)]
    done: dict[str, str] = {}
    for chunk, out in zip(chunks, pool.map(_items, chunks), strict=True):
        if out is None:  # one line's Markdown spilled over (a nested list, say): each line alone finds which
            singles = pool.map(_items, [(line,) for line in chunk])
            done.update((line, one[0]) for line, one in zip(chunk, singles, strict=True) if one is not None)
        else:
            done.update(zip(chunk, out, strict=True))
    return done


def _lists_as_parts(made: list[pages.Page], pool: _Pool, cache: BodyCache, setup: str) -> list[pages.Page]:
    """Every page's lists as finished parts, each distinct list line converted once for the whole site.

    One page is also rendered with its lists as Markdown, the way every page would be without this: unless
    both give the same bytes (a site's Markdown extension can change how a list renders), every page is.
    """
    items = _memo(cache, "item", setup, (line for p in made for i in p.lists for line in i.lines), lambda todo: _list_items(todo, pool))

    def fast(page: pages.Page) -> pages.Page:
        if not ready(page):
            return replace(page, source=page.with_lists, lists=())
        # the lines are sanitised already (the whole batch was): kbgen's own <ul> around them needs nothing more
        finished = tuple(pages.Part(i.token, "<ul>\n" + "\n".join(i.linked(n, items[line]) for n, line in enumerate(i.lines)) + "\n</ul>\n")
                         for i in page.lists)
        return replace(page, parts=page.parts + finished, lists=())

    def ready(page: pages.Page) -> bool:
        return all(line in items for i in page.lists for line in i.lines)

    # checked on the first page with the most lists that all take the fast way
    sample = max(made, key=lambda p: len(p.lists) if ready(p) else 0)
    if sample.lists and ready(sample):
        slow = replace(sample, source=sample.with_lists, lists=())
        if pool.renderer()(_job(fast(sample))) != pool.renderer()(_job(slow)):
            return [replace(p, source=p.with_lists, lists=()) if p.lists else p for p in made]
    return [fast(p) if p.lists else p for p in made]


def _job(page: pages.Page) -> Job:
    return (page.source, page.parts, page.sanitise, page.search_label)


def _key(setup: str, page: pages.Page) -> bytes:
    # The Markdown setup is part of the key: a serve session whose mkdocs.yml changes must not reuse old HTML.
    parts = "\0".join(f"{p.token}\0{p.sanitise}\0{p.case}\0{p.html}" for p in page.parts)
    text = f"{setup}\0{page.sanitise}\0{page.search_label}\0{page.source}\0{parts}"
    return hashlib.blake2b(text.encode(), digest_size=20).digest()


def _meta(page: pages.Page, settings: Settings) -> dict[str, object]:
    # Finished HTML holding case text: a templating plugin (mkdocs-macros) must not run its {{ }} as Jinja, which
    # could print the site's settings or run code at build time. Its documented per-page switch, honoured first.
    meta = {**page.meta, "render_macros": False}
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
    cache = cache if cache is not None else BoundedCache()
    setup = repr((settings.markdown_extensions, sorted((k, repr(v)) for k, v in settings.mdx_configs.items())))
    pool = _Pool(settings, workers, len(result.articles))
    try:
        # each solution's plain text once: the page's description and reply, and the feed's summary, all read it
        text, titles = _plain(result.articles, pool, cache)
        made = [pages.article_page(a, related[a.id], result, settings, text(a.id), titles[a.id]) for a in result.articles]
        texts = {a.id: text(a.id) for a in result.articles}
        made += [pages.home_page(result, settings), *pages.known_issues_pages(result, settings.team)]
        if settings.top_issues != "off":
            made.append(pages.top_issues_page(result, settings))
        made += pages.browse_pages(result.articles)
        made = _lists_as_parts(made, pool, cache, setup)
        keys = [_key(setup, p) for p in made]
        bodies: dict[bytes, tuple[str, Toc]] = {}
        todo: dict[bytes, Job] = {}
        for key, page in zip(keys, made, strict=True):
            hit = cache.peek(key)
            if hit is not None:
                bodies[key] = hit
            elif key not in todo:
                todo[key] = _job(page)
        jobs = list(todo.values())
        chunks = [jobs[i: i + BODIES_PER_TASK] for i in range(0, len(jobs), BODIES_PER_TASK)]
        rendered = (body for done in pool.imap(_bodies, chunks, chunk=1) for body in done)
        # made while the workers render the bodies
        data = [
            *pages.api_files(result, settings),
            *pages.redirects(result, settings),
            pages.DataFile("feed.xml", feed.atom(result, settings, lambda a: pages.summary(a.best, text=texts.get(a.id)))),
        ]
        for key, done in zip(todo, rendered, strict=True):
            bodies[key] = done
            cache.put(key, done)
    finally:
        pool.close()
    site_pages = tuple(
        SitePage(p.path, bodies[k][0], _meta(p, settings), bodies[k][1], p.in_nav, p.searchable, p.sanitise)
        for k, p in zip(keys, made, strict=True)
    )
    if settings.team:
        data.append(pages.DataFile("robots.txt", "User-agent: *\nDisallow: /\n"))
    assets = [Asset(CSS, PACKAGE / "kbgen.css"), Asset(JS, PACKAGE / "kbgen.js")]
    if settings.search == "pagefind":
        assets.append(Asset(search.WORKER, search.WORKER_SOURCE))
    return Site(site_pages, tuple(data), tuple(assets), (CSS,), (JS,))
