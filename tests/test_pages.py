from __future__ import annotations

import posixpath
from datetime import date, timedelta

import pytest

from kbgen import pages, rank
from kbgen.models import Article, Case, Result, RootCause, Section


def case(n: int, title: str = "", problem: str = "It fails with `E{n}`.", product: str = "Acme Sync") -> Case:
    return Case(
        id=f"C-{n}", title=title or f"Sync fails with E{n}", product=product, resolved=date(2026, 1, 1) + timedelta(days=n),
        path=f"c{n}.md", sections=(Section("Problem", problem.format(n=n), 8), Section("Solution", "1. Sign out.\n2. Sign in.", 11)),
    )


def article(cases: list[Case], rc: RootCause | None = None) -> Article:
    return Article(canonical=cases[0], best=cases[0], cases=tuple(cases), root_cause=rc)


@pytest.mark.parametrize(("kind", "status", "fixed_in", "expected"), [
    ("defect", "fixed", "4.3.0", "Fixed in 4.3.0: upgrade to resolve"),
    ("defect", "fix-planned", None, "Known defect, fix planned; use the solution below until it ships"),
    ("defect", "investigating", None, "Known defect, under investigation; use the solution below meanwhile"),
    ("usability", "open", None, "Known usability problem, not scheduled yet; use the solution below"),
    ("third-party", "wont-fix", None, "Caused by a third-party product, will not be fixed; use the workaround below"),
    ("by-design", "wont-fix", None, "Works as designed: use the workaround below"),
])
def test_banner_says_where_the_fix_stands_in_plain_words(kind: str, status: str, fixed_in: str | None, expected: str):
    rc = RootCause("RC-1", "Old <token>", kind, status, "https://tracker.example/1", fixed_in, date(2026, 4, 1) if fixed_in else None)
    html = pages.banner(rc)
    assert f'<p class="admonition-title">{expected}</p>' in html
    assert "Old &lt;token&gt;" in html and 'href="https://tracker.example/1"' in html


def test_also_reported_as_stays_small_however_many_cases():
    cases = [case(n) for n in range(300)]
    page = pages.article_page(article(cases), [], Result(as_of=date(2026, 11, 20)), pages.Settings())
    assert page.body.count("\n- Sync fails with E") == pages.ALSO_REPORTED_LIMIT
    assert page.body.count("- <code>E") == pages.ALSO_REPORTED_LIMIT
    # 299 other titles and 290 other error codes (E1..E9 are too short to count as one): 25 of each shown
    assert "and 539 more phrasings" in page.body
    assert len(page.markdown) < 20_000


def test_hostile_title_is_escaped_in_markdown_and_metadata():
    hostile = case(1, title='Fails <script>alert(1)</script> [x](javascript:alert(2))')
    page = pages.article_page(article([hostile]), [], Result(as_of=date(2026, 11, 20)), pages.Settings())
    assert "<script>" not in page.body  # kb_reply keeps the raw text: the template escapes it
    assert page.meta["title"] == "Fails &lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(2))"
    assert r"\[x\](javascript:alert(2))" in page.body


def test_lists_are_paginated():
    arts = [article([case(n)]) for n in range(250)]
    out = pages.paginated("products/acme-sync/", "Acme Sync", "All", pages.newest(arts))
    assert [p.path for p in out] == ["products/acme-sync/index.md", "products/acme-sync/page/2/index.md", "products/acme-sync/page/3/index.md"]
    assert out[0].body.count("\n- [") == pages.PAGE_SIZE
    def target(page: pages.Page, label: str) -> str:  # the site URL a link leads to, resolved like a browser does
        link = page.body.split(f"[{label}](")[1].split(")")[0]
        assert link.endswith("/")  # a URL the browser follows, not a .md source path only MkDocs would rewrite
        return posixpath.normpath(posixpath.join(posixpath.dirname(page.path), link)) + "/"

    assert target(out[0], "Older →") == "products/acme-sync/page/2/"
    assert target(out[1], "← Newer") == "products/acme-sync/"
    assert target(out[1], "Older →") == "products/acme-sync/page/3/"


def test_redirect_points_relative_and_canonical_absolute():
    a = article([case(1), case(2)])
    html = pages.redirect_html(a, "C-2", pages.Settings(site_url="https://kb.example/"))
    assert '<meta http-equiv="refresh" content="0; url=../c-1/">' in html
    assert '<link rel="canonical" href="https://kb.example/kb/c-1/">' in html
    assert '<a href="../c-1/">' in html
    files = pages.redirects(Result(as_of=date(2026, 11, 20), articles=[a]), pages.Settings())
    assert [f.path for f in files] == ["kb/c-2/index.html"]


def test_a_fix_that_did_not_stop_the_cases_says_so():
    rc = RootCause("RC-1", "Old token", "defect", "fixed", None, "4.3.0", date(2026, 1, 5))
    cases = [case(n) for n in range(1, 9)]  # resolved 2026-01-02 .. 2026-01-09: 4 after the fix date
    def page_of(a: Article) -> pages.Page:  # rank counts the cases since the fix once; the page shows the count
        as_of = date(2026, 11, 20)
        return pages.article_page(a, [], Result(as_of=as_of, articles=[a], since_fix=rank.since_fix([a], as_of)), pages.Settings())

    page = page_of(article(cases, rc))
    assert '<div class="admonition warning kb-status"' in page.body
    assert "Marked fixed in 4.3.0, but reported 4 more times since 2026-01-05" in page.body
    quiet = page_of(article(cases[:4], rc))
    assert "Fixed in 4.3.0: upgrade to resolve" in quiet.body


@pytest.mark.parametrize("here", ["", "browse/", "kb/a/", "products/acme-sync/page/2/", "known-issues/rc-1/"])
@pytest.mark.parametrize("there", ["", "kb/a/", "kb/b/", "products/acme-sync/", "products/acme-sync/page/2/", "api/top-issues.json", "kb/"])
def test_relative_links_are_what_posixpath_makes_of_them(here: str, there: str):
    link = posixpath.relpath(there or ".", here or ".")
    assert pages.rel(here, there) == ("./" if link == "." else f"{link}/" if there.endswith("/") else link)
    assert posixpath.normpath(posixpath.join(here, pages.rel(here, there))) == posixpath.normpath(there or ".")


def test_copy_reply_is_the_solution_the_page_shows_highlighted_code_line_by_line():
    from kbgen import markdown

    body = ("## Problem\n\nSync stops.\n\n## Solution\n\n1. Run this:\n\n   ```bash\n"
            "   sudo systemctl restart acme-sync --now  # restart\n   echo \"done\" | tee /tmp/x\n   ```\n\n2. Then check `status`.\n")
    _, sections, problems = markdown.parse_body(body, 1)
    assert problems == []
    case = Case("C-1", "Sync stops", "Acme Sync", date(2026, 11, 1), "c.md", sections)
    page_html = next(s.html for s in sections if s.key == "solution")
    assert "<ol>" in page_html and page_html.count("<li>") == 2  # one list of two steps, as CommonMark reads it
    assert pages.reply(case).splitlines() == [
        "Sync stops", "",
        "1. Run this:",
        "       sudo systemctl restart acme-sync --now  # restart",  # not a token a line, as Pygments' spans split it
        '       echo "done" | tee /tmp/x',
        "2. Then check status.",
    ]
    assert pages.summary(case).startswith("1. Run this: sudo systemctl restart acme-sync --now # restart echo")
