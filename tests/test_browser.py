"""What a customer and an agent see and click, in Debian's chromium driven by Playwright."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import search

pytestmark = pytest.mark.browser


def biggest_article(site: Path) -> dict:
    data = json.loads((site / "api" / "articles.json").read_text())
    return max(data["articles"], key=lambda a: (a["case_count"], a["id"]))


def error_string(site: Path, article: dict) -> str:
    """An exact error message quoted in the article's own text, as a customer would paste it."""
    html = (site / "kb" / article["id"].lower() / "index.html").read_text()
    body = html[html.index('id="problem"'):html.index('id="solution"')]
    codes = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<code>(.*?)</code>", body)]
    assert codes, "the demo article quotes no error message"
    return max(codes, key=len)


def test_search_by_exact_error_message_opens_the_article(demo_site: Path, serve, page):
    base = serve(demo_site)
    article = biggest_article(demo_site)
    message = error_string(demo_site, article)
    page.goto(base)
    search(page, message)
    first = page.locator(".md-search-result__item a").first
    assert article["id"].lower() in (first.get_attribute("href") or "")
    first.click()
    page.wait_for_url(re.compile(rf".*/kb/{re.escape(article['id'].lower())}/.*"))
    assert page.locator("h1").inner_text().rstrip("¶").strip() == article["title"].strip().replace("`", "")
    assert page.locator("#solution").is_visible()


def test_merged_case_link_redirects_to_its_article(demo_site: Path, serve, page):
    base = serve(demo_site)
    article = biggest_article(demo_site)
    merged = article["merged"][0]
    page.goto(f"{base}kb/{merged.lower()}/")
    page.wait_for_url(f"{base}kb/{article['id'].lower()}/", timeout=10_000)
    assert page.locator("h1").is_visible()


def test_copy_buttons_work_from_the_keyboard(demo_site: Path, serve, browser):
    base = serve(demo_site)
    article = biggest_article(demo_site)
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    page = context.new_page()
    try:
        page.goto(f"{base}kb/{article['id'].lower()}/")
        page.focus("[data-kb-copy=link]")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('.kb-copied').textContent.length > 0")
        link = page.evaluate("navigator.clipboard.readText()")
        assert link == f"https://support.acme.example/kb/{article['id'].lower()}/"
        page.focus("[data-kb-copy=reply]")
        page.keyboard.press("Space")
        page.wait_for_function("document.querySelector('.kb-copied').textContent.includes('reply')")
        reply = page.evaluate("navigator.clipboard.readText()")
        lines = reply.split("\n")
        assert lines[0] == article["title"]
        assert lines[1] == "" and lines[-2] == ""
        steps = [line for line in lines if re.match(r"\d+\. ", line)]
        assert [s.split(".")[0] for s in steps] == [str(n) for n in range(1, len(steps) + 1)] and len(steps) >= 3  # every step
        assert "`" not in reply  # plain text
        assert lines[-1] == link
    finally:
        context.close()


def test_top_issues_page_on_a_phone(demo_site: Path, serve, browser):
    base = serve(demo_site)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{base}top-issues/")
        chart = page.locator(".kb-pareto svg")
        box = chart.bounding_box()
        assert box is not None and box["width"] <= 390
        assert page.locator(".kb-headline").inner_text().startswith("The top 5 problems caused")
        assert page.locator(".kb-top table tbody tr").count() == 5
    finally:
        context.close()
