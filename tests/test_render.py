"""render(result, settings) -> Site: one pure function decides every file, and case text comes out sanitised."""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from kbgen import render
from kbgen.cache import BoundedCache
from kbgen.models import Article, Case, Result, RootCause, Section, Settings, article_url, redirect_path
from kbgen.rank import rank, since_fix

AS_OF = date(2026, 11, 20)
HOSTILE = 'Shows `E42` <script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))'


def case(n: int, problem: str = "Sync fails with `E{n}`.", product: str = "Acme Sync") -> Case:
    return Case(id=f"CASE-{n}", title=f"Sync fails with E{n}", product=product, resolved=AS_OF - timedelta(days=n), path=f"c{n}.md",
                sections=(Section("Problem", problem.format(n=n), 8), Section("Solution", "1. Sign out.\n2. Sign in.", 11)),
                component="login", root_cause="RC-1")


def result() -> Result:
    rc = RootCause("RC-1", "Old token", "defect", "fixed", None, "4.3.0", AS_OF - timedelta(days=30))
    articles = [
        Article(case(1), case(1), (case(1), case(2)), root_cause=rc),  # CASE-2 merged into CASE-1
        Article(case(3, HOSTILE), case(3, HOSTILE), (case(3, HOSTILE),), root_cause=rc),
    ]
    return Result(as_of=AS_OF, cases=[c for a in articles for c in a.cases], root_causes={"RC-1": rc}, articles=articles,
                  top=rank(articles, AS_OF), since_fix=since_fix(articles, AS_OF))


def test_render_returns_every_file_of_the_site():
    site = render.render(result(), Settings(site_url="https://kb.example/"))
    paths = [p.path for p in site.pages]
    assert paths[:2] == ["kb/case-1/index.md", "kb/case-3/index.md"]
    assert {"index.md", "top-issues/index.md", "known-issues/index.md", "browse/index.md"} <= set(paths)
    data = [d.path for d in site.data]
    assert data == ["api/articles.json", "api/top-issues.json", redirect_path("CASE-2"), "feed.xml"]
    assert [a.path for a in site.assets] == [render.CSS, render.JS, "assets/kbgen/search-worker.js"]
    assert all(a.source.is_file() for a in site.assets)
    article = site.pages[0]
    assert article.searchable and article.sanitised and not article.in_nav
    assert article.meta["search"] == {"exclude": True}  # Pagefind finds articles; Material's index stays small
    assert "<h1" in article.html and "Sign out." in article.html  # finished HTML, not Markdown
    assert [t["id"] for t in article.toc] == ["sync-fails-with-e1"]
    assert next(p for p in site.pages if p.path == "top-issues/index.md").sanitised is False  # escaped strings + SVG


def test_material_search_keeps_articles_in_its_index():
    site = render.render(result(), Settings(search="material"))
    assert site.pages[0].meta["search"] == {"boost": 2}
    assert "assets/kbgen/search-worker.js" not in [a.path for a in site.assets]


def test_case_text_is_sanitised_inside_render():
    hostile = render.render(result(), Settings()).pages[1].html
    assert "E42" in hostile
    assert "<script" not in hostile and "onerror" not in hostile and 'href="javascript:' not in hostile
    assert "[x](javascript:alert(3))" in hostile  # CommonMark makes no link of a javascript: URL: it stays text
    assert "alert(1)" not in hostile  # a script element goes whole, its text too


def test_links_are_site_urls_relative_to_the_page():
    site = render.render(result(), Settings())
    browse = next(p for p in site.pages if p.path == "browse/index.md").html
    assert 'href="../products/acme-sync/"' in browse
    product = next(p for p in site.pages if p.path == "products/acme-sync/index.md").html
    assert f'href="../../{article_url("CASE-1")}"' in product
    assert ".md" not in product


def test_render_is_pure_and_a_cache_changes_nothing():
    first = render.render(result(), Settings())
    cache: render.BodyCache = BoundedCache()
    warm = render.render(result(), Settings(), cache)
    again = render.render(result(), Settings(), cache)
    assert first == warm == again
    assert cache.hits >= len(first.pages)  # the second run rendered no body again
    other = render.render(result(), Settings(markdown_extensions=("toc", "tables", "fenced_code", "admonition")), cache)
    assert [p.path for p in other.pages] == [p.path for p in first.pages]  # a new Markdown setup is rendered afresh


def test_worker_processes_render_the_same_bytes(monkeypatch: pytest.MonkeyPatch):
    pools: list[object] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(render, "PARALLEL_FROM", 2)
    monkeypatch.setattr(render, "ProcessPoolExecutor", Counted)
    monkeypatch.setattr(render, "fork_context", lambda: multiprocessing.get_context("fork"))  # other test threads are idle
    assert render.render(result(), Settings(), workers=2) == render.render(result(), Settings())
    assert len(pools) == 1  # the first run really went through worker processes


def test_no_fork_while_other_threads_run():
    started = threading.Event()
    stop = threading.Event()
    thread = threading.Thread(target=lambda: (started.set(), stop.wait()))
    thread.start()
    started.wait()
    try:
        assert render.fork_context() is None  # a server thread's lock would be copied held: render in this process instead
    finally:
        stop.set()
        thread.join()


def test_settings_are_plain_data_that_can_change_per_edition():
    settings = Settings(site_url="https://kb.example/")
    assert dataclasses.replace(settings, search="material").site_url == "https://kb.example/"


def test_bounded_cache_forgets_the_least_recently_used():
    cache: BoundedCache[str, int] = BoundedCache(2)
    assert cache.get("a", lambda: 1) == 1
    assert cache.get("b", lambda: 2) == 2
    assert cache.get("a", lambda: 99) == 1  # a hit: "a" is now the most recent
    cache.put("c", 3)
    assert len(cache) == 2 and "b" not in cache and "a" in cache
    cache.keep_only({"c"})
    assert len(cache) == 1 and cache.peek("c") == 3
    with pytest.raises(ValueError):
        BoundedCache(0)


def listed() -> Result:
    """Articles with both lists: other titles (one that Markdown reads as a numbered list, one with code) and related articles."""
    rc = RootCause("RC-1", "Old token", "defect", "open", None, None, None)
    odd = [dataclasses.replace(case(n), title=t) for n, t in ((11, "1. Sync stops"), (12, "Sync *stops* with `E12`"), (13, "Sync & <b>stops</b>"))]
    first = Article(case(1), case(1), (case(1), *odd), root_cause=rc)
    others = [Article(case(n), case(n), (case(n),), root_cause=rc) for n in (3, 4, 5)]
    articles = [first, *others]
    return Result(as_of=AS_OF, cases=[c for a in articles for c in a.cases], root_causes={"RC-1": rc}, articles=articles,
                  top=rank(articles, AS_OF), since_fix=since_fix(articles, AS_OF))


def as_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every list rendered inside its page's Markdown, as before list lines were converted once per site."""
    monkeypatch.setattr(render, "_list_items", lambda lines, pool: {})


def test_list_lines_converted_once_give_the_bytes_of_lists_in_the_page(monkeypatch: pytest.MonkeyPatch):
    fast = render.render(listed(), Settings())
    page = fast.pages[0].html
    assert '<h2 id="also-reported-as">Also reported as</h2>\n<ul>\n<li>\n<ol>\n<li>Sync stops</li>' in page  # Markdown's reading
    assert "<li><code>E11</code></li>" in page
    assert "<li>Sync &amp; &lt;b&gt;stops&lt;/b&gt;</li>" in page  # escaped, never markup
    assert "<li>Sync <em>stops</em> with <code>E12</code></li>" in page
    assert '<h2 id="related-articles">Related articles</h2>\n<ul>\n<li><a href="../case-3/"' in page
    # an article listed at two depths: one line converted for both, each page linking by its own relative URL
    html = {p.path: p.html for p in fast.pages}
    assert '<li><a href="../../kb/case-3/" rel="noopener noreferrer">Sync fails with E3</a> <small>Acme Sync' in html["products/acme-sync/index.md"]
    assert '<li><a href="../../../kb/case-3/" rel="noopener noreferrer">Sync fails with E3</a> <small>Acme Sync' in html["products/acme-sync/login/index.md"]
    assert not [p.path for p in fast.pages if "kbgenlink" in p.html or "kbgenpart" in p.html]
    with monkeypatch.context() as m:
        as_markdown(m)
        slow = render.render(listed(), Settings())
    assert slow == fast


def test_a_list_rendered_differently_is_noticed_and_every_page_rendered_the_slow_way(monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        as_markdown(m)
        slow = render.render(listed(), Settings())
    # as if a site's Markdown extension marked up list items in a way the per-site conversion cannot reproduce
    monkeypatch.setattr(render._Renderer, "items", lambda self, lines: tuple(f'<li class="x">{line[2:]}</li>' for line in lines))
    assert render.render(listed(), Settings()) == slow


@pytest.mark.parametrize("settings", [Settings(), Settings(mdx_configs={"toc": {"permalink": True}})])
def test_articles_whose_headings_alone_go_through_markdown_give_the_bytes_of_the_whole_page(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    fast = render.render(listed(), settings)
    assert ('class="headerlink"' in fast.pages[0].html) == bool(settings.mdx_configs)
    monkeypatch.setattr(render._Renderer, "_headings", lambda self, job: None)  # the whole page's Markdown, every page
    assert render.render(listed(), settings) == fast


def test_a_heading_rendered_differently_alone_sends_every_page_the_whole_way(monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setattr(render._Renderer, "_headings", lambda self, job: None)
        whole = render.render(listed(), Settings())
    headings = render._Renderer._headings
    monkeypatch.setattr(render._Renderer, "_headings", lambda self, job: (lambda r: r and (r[0].replace("<h2", "<h2 x"), r[1]))(headings(self, job)))
    assert render.render(listed(), Settings()) == whole


def clashing() -> Result:
    """Articles whose titles share an anchor with a section heading ("problem", "cause_1") and one that does not."""
    titles = ("Sync stops with E1", "Problem", "Cause", "Solution_1", "Related articles 1", "Environment!", "Sync stops with E1")
    articles = [Article(c, c, (c,)) for c in (dataclasses.replace(case(n), title=t) for n, t in enumerate(titles, start=1))]
    return Result(as_of=AS_OF, cases=[a.best for a in articles], articles=articles, top=rank(articles, AS_OF))


@pytest.mark.parametrize("settings", [Settings(), Settings(mdx_configs={"toc": {"permalink": True}})])
def test_a_title_converted_apart_from_its_sections_gives_the_bytes_and_anchors_of_the_whole_page(settings: Settings,
                                                                                                 monkeypatch: pytest.MonkeyPatch):
    split = render.render(clashing(), settings)
    by_title = {p.meta["title"]: p for p in split.pages if p.path.startswith("kb/")}
    assert '<h2 id="problem_1">Problem' in by_title["Problem"].html  # the title took "problem", as on the whole page
    assert [t["id"] for t in by_title["Problem"].toc[0]["children"]][:1] == ["problem_1"]
    with monkeypatch.context() as m:
        m.setattr(render._Renderer, "_split", lambda self, *a: None)  # every page's headings converted together
        assert render.render(clashing(), settings) == split
    monkeypatch.setattr(render._Renderer, "_headings", lambda self, job: None)  # the whole page's Markdown, every page
    assert render.render(clashing(), settings) == split


def test_titles_converted_many_at_once_give_the_bytes_of_each_converted_alone(monkeypatch: pytest.MonkeyPatch):
    """Article titles go through Python-Markdown a batch at a time; anchors the batch would number ("sync-stops_1"
    for "Sync stops!" after "Sync stops"), ids a title sets itself and markup must come out as each title alone gives them."""
    titles = ("Sync *stops* with `E1`", "Sync & <b>stops</b>", "Problem", "Sync stops", "Sync stops!", "Sync stops {#own}",
              "Sync stops {#own}", "1. Sync stops", "Sync stops_1", "Ünïcode stops")
    articles = [Article(c, c, (c,)) for c in (dataclasses.replace(case(n), title=t) for n, t in enumerate(titles, start=1))]
    many_titles = Result(as_of=AS_OF, cases=[a.best for a in articles], articles=articles, top=rank(articles, AS_OF))
    settings = Settings(markdown_extensions=("toc", "tables", "fenced_code", "attr_list"), mdx_configs={"toc": {"permalink": True}})
    batched: list[int] = []
    prefill = render._Renderer.prefill
    with monkeypatch.context() as m:
        m.setattr(render._Renderer, "prefill", lambda self, jobs: (prefill(self, jobs), batched.append(len(self.titles)))[0])
        together = render.render(many_titles, settings)
    assert max(batched) >= 5  # most titles really came from one conversion
    by_title = {p.meta["title"]: p.html for p in together.pages if p.path.startswith("kb/")}
    assert '<h1 id="sync-stops-with-e1">Sync <em>stops</em> with <code>E1</code>' in by_title["Sync *stops* with `E1`"]
    monkeypatch.setattr(render, "BODIES_PER_TASK", 1)  # one page a task: each title converted alone
    assert render.render(many_titles, settings) == together
