"""The demo's search box, in chromium: exact messages, pasted log lines and a traceback find their article first.

Probes come from the demo content itself: every error message quoted in backticks in an article's
Problem (a merged case's included). A probe must list the article (or one of the articles) quoting it
first, and fewer than half the articles; a pasted log line or traceback around a quoted message must
list its article first.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kbgen import search
from tests.conftest import REPO, kbgen
from tests.test_similar import PASTED

pytestmark = pytest.mark.browser


def quoted_messages() -> dict[str, set[str]]:
    """Message -> slugs of the articles quoting it, from the case files of the demo (public cases only)."""
    from kbgen import pipeline

    result = pipeline.run(pipeline.Options(cases_dir=REPO / "content" / "cases", root_causes=REPO / "content" / "root-causes.yml", root=REPO))
    found: dict[str, set[str]] = {}
    for article in result.articles:
        for case in article.cases:
            for message in re.findall(r"`([^`\n]+)`", case.problem):
                if len(message.split()) >= 2:  # a message, not a single word or path
                    found.setdefault(message, set()).add(article.slug)
    return found


MESSAGES = quoted_messages()


def ask(page, text: str) -> tuple[list[str], int]:
    """Paste ``text`` into Material's search box: the result links' article slugs as shown, and how many
    documents Material says match (it shows the first ones and more on scrolling)."""
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("")
    page.keyboard.insert_text(text)  # as a paste: one input event
    box.press("End")  # Material reads the box on key up
    value = page.evaluate("document.querySelector('input.md-search__input').value")
    page.wait_for_function(
        """value => document.querySelector(".md-search-result__item")
            && document.querySelector("input.md-search__input").value === value""",
        arg=value, timeout=15_000,
    )
    page.wait_for_timeout(500)  # a later answer (more results) replaces an earlier one
    hrefs = [a.get_attribute("href") or "" for a in page.locator("li.md-search-result__item > a.md-search-result__link").all()]
    meta = page.locator(".md-search-result__meta").inner_text()
    count = int(m.group(1)) if (m := re.match(r"(\d+) matching", meta)) else 0
    return [m.group(1) for h in hrefs if (m := re.search(r"/kb/([^/#]+)/", h))], count


@pytest.fixture(scope="module")
def demo(demo_site: Path, serve, browser):
    base = serve(demo_site)
    context = browser.new_context()
    page = context.new_page()
    page.goto(base)
    total = len(json.loads((demo_site / "api" / "articles.json").read_text())["articles"])
    yield page, total
    context.close()


def test_every_quoted_message_lists_its_article_first_and_few_others(demo) -> None:
    page, total = demo
    assert len(MESSAGES) >= 20
    misses = []
    for message, slugs in sorted(MESSAGES.items()):
        listed, count = ask(page, message)
        if not listed or listed[0] not in slugs or count >= total / 2:
            misses.append((message, sorted(slugs), listed[:5], count))
    assert not misses, misses


@pytest.mark.parametrize("message", list(PASTED))
def test_a_pasted_log_line_or_traceback_lists_its_article_first(demo, message: str) -> None:
    page, total = demo
    listed, count = ask(page, PASTED[message])
    assert listed and listed[0] in MESSAGES.get(message, set()) | _quoting(message), listed[:5]
    assert count < total / 2
    # the excerpt shows where the message matched
    first = page.locator("li.md-search-result__item").first
    marked = " ".join(first.locator("mark").all_inner_texts()).lower()
    assert sum(w in marked for w in re.findall(r"[a-z]{4,}", message.lower())) >= 3, marked


def _quoting(message: str) -> set[str]:
    return {slug for m, slugs in MESSAGES.items() if message in m for slug in slugs}


def test_the_excerpt_shows_a_merged_cases_title_that_matched(demo) -> None:
    page, _ = demo
    listed, _ = ask(page, "Upgrade to Acme Sync 4.3.0 rolls back with Error 1603")
    assert listed[0] == "case-2026-0102"  # shown as "MSI deployment fails ..."; the query is a merged case's title
    first = page.locator("li.md-search-result__item").first
    marked = [m.lower() for m in first.locator("mark").all_inner_texts()]
    assert {"rolls", "back", "1603"} <= set(marked), marked
    assert "rolls back with Error 1603" in first.inner_text()


def test_equal_results_rank_the_same_whatever_order_pagefind_read_its_files_in(demo, demo_site: Path, serve, browser, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Pagefind numbers pages in the order their folder lists them (which differs between file systems) and ranks
    equal scores by that number. The worker breaks ties itself: the same site staged in the opposite order lists
    every probe's results in the same order."""
    staging = search._pagefind_staging
    monkeypatch.setattr(search, "_pagefind_staging", lambda docs, *rest: staging(list(reversed(docs)), *rest))
    other = tmp_path / "site"
    assert kbgen("build", "--strict", "-f", str(REPO / "mkdocs.yml"), "--site-dir", str(other)).exit_code == 0
    index = sorted(p.name for p in (demo_site / "pagefind").rglob("*.pf_index"))
    assert index != sorted(p.name for p in (other / "pagefind").rglob("*.pf_index")), "Pagefind read both in one order: nothing tested"
    page, _ = demo
    context = browser.new_context()
    reversed_page = context.new_page()
    reversed_page.goto(serve(other))
    probes = sorted(MESSAGES)
    differ = [(probe, a, b) for probe in probes if (a := ask(page, probe)[0]) != (b := ask(reversed_page, probe)[0])]
    context.close()
    assert not differ, differ[:3]
