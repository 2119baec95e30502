"""A 10,000-article knowledge base: built by kbgen, searched in chromium on a phone-sized screen."""

from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, QuietHandler, kbgen, search
from tests.kb import MKDOCS_YML

pytestmark = pytest.mark.browser
N = 10_000


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("scale")
    content = work / "content"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), str(N), str(content), "--distinct"], check=True, stdout=subprocess.DEVNULL)
    (content / "pages").mkdir()
    (content / "pages" / "about.md").write_text("# About\n")
    (work / "mkdocs.yml").write_text(MKDOCS_YML.format(as_of="2026-11-20", extra=""))
    result = kbgen("build", "-f", str(work / "mkdocs.yml"))
    assert result.exit_code == 0, result.output[-2000:]
    return work / "site"


class Counting(QuietHandler):
    served: list[tuple[str, int]]

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "content-length":
            self.served.append((self.path, int(value)))
        super().send_header(keyword, value)


@pytest.fixture(scope="module")
def counted(big_site: Path) -> Iterator[tuple[str, list[tuple[str, int]]]]:
    served: list[tuple[str, int]] = []
    handler = functools.partial(type("H", (Counting,), {"served": served}), directory=str(big_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", served
    server.shutdown()


def test_pages_stay_small_at_10000_articles(big_site: Path):
    articles = json.loads((big_site / "api" / "articles.json").read_text())["articles"]
    assert len(articles) > 5_000
    for folder in ("kb", "products", "known-issues"):
        biggest = max(p.stat().st_size for p in (big_site / folder).rglob("index.html"))
        assert biggest < 80_000, (folder, biggest)
    assert (big_site / "search" / "search_index.json").stat().st_size < 50_000


def test_exact_error_message_finds_its_article_first_after_little_download(big_site: Path, counted, browser):
    base, served = counted
    articles = json.loads((big_site / "api" / "articles.json").read_text())["articles"]
    titles = Counter(a["title"] for a in articles)
    # a title several generated problems share has no single right answer: take a unique one
    unique = [a for a in articles if titles[a["title"]] == 1 and a["case_count"] == 1]
    target = unique[len(unique) // 2]
    html = (big_site / "kb" / target["id"].lower() / "index.html").read_text()
    problem = html[html.index('id="problem"'):html.index('id="solution"')]
    codes = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<code>(.*?)</code>", problem)]
    message = max(codes, key=len) if codes else target["title"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        served.clear()
        page.goto(base)  # everything from opening the home page to the first result counts
        page.click("label[for='__search']")
        search(page, message)
        first = page.locator(".md-search-result__item a").first
        assert target["id"].lower() in (first.get_attribute("href") or ""), (message, first.get_attribute("href"))
        downloaded = sum(size for path, size in served)
        assert downloaded < 1_000_000, sorted(served, key=lambda s: -s[1])[:10]
        assert sum(size for path, size in served if "search_index.json" in path) < 50_000  # Material's own index holds no articles
        first.click()
        page.wait_for_url(f"**/kb/{target['id'].lower()}/**")
    finally:
        context.close()
