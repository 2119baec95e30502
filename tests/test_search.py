"""Search through Pagefind inside Material's own search box (kbgen.search + its worker).

A small Material site of generated article pages is built with the real ``mkdocs build``,
wired the way the kbgen plugin wires search (an MkDocs hooks file calling the same
functions), and searched in Debian's chromium.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbgen import search

REPO = Path(__file__).resolve().parent.parent

# id -> (title as the reader sees it, exact error message quoted in the Problem)
TARGETS = {
    "kb-sync": ("Files stay pending in the shared folder", "ERR_SYNC_CONFLICT 0x80070020"),
    "kb-401": ("API calls are rejected after the token rotation", "401 Unauthorized"),
    "kb-ssl": ("The connector cannot reach the gateway", "SSL: CERTIFICATE_VERIFY_FAILED"),
    "kb-pdf": ("Invoices are exported without the logo font", "PDF export failed: font 'Helvetica-Bold' not embedded"),
    # every other page lists this title under "Related articles"; its own page is long
    "kb-path": ("ERR_PATH_TOO_LONG 0x800700CE on files in deep folders", "ERR_PATH_TOO_LONG 0x800700CE"),
}
XSS_TITLE = 'Import fails on <script>window.__pwned = 1</script> in names'

# Pages that share most words with the targets, and say them more often.
DECOYS = {
    "kb-sync-other": ("Sync conflict after restoring a sync backup",
                      "The sync conflict shows `ERR_SYNC_CONFLICT 0x80070021` after every sync of a sync folder. "
                      "Sync conflict, sync conflict: the sync client reports ERR_SYNC_CONFLICT for each file."),
    "kb-401-other": ("401 on the login page: user shown as unauthorized",
                     "The login page answers 401 for every unauthorized user; the audit log lists the unauthorized "
                     "user with status 401 and the message `Access denied` and the 401 page."),
    "kb-ssl-other": ("SSL certificate check failed: verify the certificate chain",
                     "The SSL certificate could not be verified, the handshake failed and the SSL log shows "
                     "`certificate verify failed` for each SSL connection."),
    "kb-pdf-other": ("PDF export failed on invoices with a custom font",
                     "PDF export failed: font 'Arial-BoldMT' not embedded. The PDF export failed again after "
                     "the font was installed; the export of the PDF failed for every font."),
}
WORDS = [
    "printer", "calendar", "mailbox", "licence", "dashboard", "webhook", "scheduler", "importer", "backup", "proxy",
    "token", "report", "gateway", "upload", "export", "login", "database", "firewall", "certificate", "connector",
]

HOOKS = (REPO / "bench" / "search_hooks.py").read_text(encoding="utf-8")  # kbgen's search without its pipeline

REDIRECT = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=../kb-sync/"><title>Moved</title></head>
<body><p>Merged into <a href="../kb-sync/">ERR_SYNC_CONFLICT 0x80070020 article</a></p></body>
</html>
"""


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def article(title: str, problem: str, n: int, links: bool = True) -> str:
    w = WORDS[n % len(WORDS)], WORDS[(n * 7 + 3) % len(WORDS)]
    return f"""---
title: {json.dumps(esc(title))}
search:
  exclude: true
---

# {esc(title)}

<dl class="kb-facts"><dt>Product</dt><dd>Acme {w[0].title()}</dd><dt>Applies to</dt><dd>4.{n}</dd></dl>

## Problem

{problem}

## Solution

1. Open **Settings > {w[0].title()}** and clear the {w[1]} cache.
2. Sign out and sign in again.
3. If it persists, reinstall the {w[1]} connector.

## Also reported as

- {w[1].title()} {w[0]} broken after the update

{related(n) if links else ""}"""


def related(n: int) -> str:
    links = (
        f"- [{esc(TARGETS['kb-path'][0])}](../kb-path/index.md)\n"
        f"- [{esc(TARGETS['kb-pdf'][0])}](../kb-pdf/index.md)\n"
    )
    if n % 2:  # as kbgen writes it today: a plain section
        return f"## Related articles\n\n{links}"
    return f'<div class="kb-related" markdown>\n\n## Related articles\n\n{links}\n</div>\n'


def write_site(root: Path, fillers: int = 22) -> None:
    docs = root / "docs"
    (docs / "kb").mkdir(parents=True)
    (docs / "index.md").write_text("---\nsearch:\n  exclude: true\n---\n# Knowledge base\n\nSearch by the error message.\n")
    pages: dict[str, str] = {}
    for n, (ident, (title, message)) in enumerate(TARGETS.items()):
        problem = f"Since the update the app shows `{message}` and stops."
        if ident == "kb-path":
            problem += " " + " ".join(WORDS * 12)
        pages[ident] = article(title, problem, n, links=ident != "kb-path")
    for n, (ident, (title, problem)) in enumerate(DECOYS.items(), start=10):
        pages[ident] = article(title, problem, n)
    pages["kb-xss"] = article(XSS_TITLE, "Names with markup break the importer (`ERR_IMPORT_MARKUP`).", 20)
    for n in range(fillers):
        a, b = WORDS[n % len(WORDS)], WORDS[(n * 5 + 1) % len(WORDS)]
        pages[f"kb-{n:03d}"] = article(f"{a.title()} {b} fails after the update",
                                       f"The {a} step stops with `E{1000 + n}` when the {b} is busy.", n + 30)
    for ident, text in pages.items():
        (docs / "kb" / ident).mkdir()
        (docs / "kb" / ident / "index.md").write_text(text)
    (docs / "kb" / "old-sync").mkdir()
    (docs / "kb" / "old-sync" / "index.html").write_text(REDIRECT)  # a merged case's redirect stub
    (root / "hooks.py").write_text(HOOKS)
    (root / "mkdocs.yml").write_text("""site_name: Search test
site_url: https://support.example.com/help/
theme:
  name: material
  font: false
  features: [search.highlight]
plugins: [search]
hooks: [hooks.py]
not_in_nav: |
  kb/
markdown_extensions: [attr_list, md_in_html, {toc: {permalink: true}}]
""")


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    write_site(root)
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=root,
                          capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return root / "site"


class _Recording(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path.split("?")[0])
        super().do_GET()


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[tuple[str, list[str]]]:
    """(base URL, paths requested so far) of a static server for the site, as on any plain host."""
    requests: list[str] = []
    handler = type("Handler", (_Recording,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    server.shutdown()


def type_query(page, text: str) -> None:
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(text, delay=10)
    page.wait_for_function(
        """text => document.querySelector(".md-search-result__item")
            && document.querySelector("input.md-search__input").value === text""",
        arg=text, timeout=15_000,
    )
    page.wait_for_timeout(400)  # let a later answer (more results) replace an earlier one


# --- without a browser ------------------------------------------------------------------

CONFIG = ('<script id="__config" type="application/json">{"base": "../..", "features": [], '
          '"search": "../../assets/javascripts/workers/search.a7633da7.min.js", "tags": null}</script>')


def test_use_worker_keeps_the_relative_prefix():
    page = f"<html><body><p>assets/javascripts/workers/search.a7633da7.min.js</p>{CONFIG}</body></html>"
    out = search.use_worker(page)
    assert '"search": "../../assets/kbgen/search-worker.js"' in out
    assert "<p>assets/javascripts/workers/search.a7633da7.min.js</p>" in out  # page text is left alone
    assert search.use_worker(out) == out
    assert search.use_worker("<html>no material</html>") == "<html>no material</html>"


def test_prepare_keeps_the_article_without_related_articles():
    page = (
        '<html lang="de"><body><nav>ERR_NAV</nav><article class="md-content__inner md-typeset">'
        '<h1>Title</h1><article class="md-typeset">nested</article><p>ERR_BODY</p>'
        '<h2 id="related-articles">Related articles</h2><ul><li><a href="../x/">ERR_OTHER</a></li></ul>'
        '<div class="kb-actions">Copy</div></article><footer>ERR_FOOT</footer></body></html>'
    )
    doc = search.prepare(page)
    assert doc is not None
    assert '<html lang="de">' in doc and "ERR_BODY" in doc and "nested</article><p>" in doc
    assert "ERR_NAV" not in doc and "ERR_FOOT" not in doc and "ERR_OTHER" not in doc
    assert '<div class="kb-actions">' in doc  # Pagefind's exclude_selectors drop it
    assert search.prepare(REDIRECT) is None


def test_every_built_page_uses_the_worker_and_articles_stay_out_of_lunr(site: Path):
    pages = [p for p in site.rglob("*.html") if "__config" in p.read_text()]
    assert len(pages) >= 30 and (site / "404.html") in pages
    for p in pages:
        assert "workers/search." not in p.read_text(), p
    assert (site / search.WORKER).read_bytes() == search.WORKER_SOURCE.read_bytes()
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert index["docs"] == []
    assert (site / "search" / "search_index.json").stat().st_size < 1000


def test_index_site_indexes_articles_only_and_is_deterministic(site: Path, tmp_path: Path):
    before = digest(site / "pagefind")
    started = time.perf_counter()
    stats = search.index_site(site)
    elapsed = time.perf_counter() - started
    assert digest(site / "pagefind") == before
    assert stats.pages == len(TARGETS) + len(DECOYS) + 1 + 22  # not the home page, not the redirect stub
    assert stats.files == sum(1 for p in (site / "pagefind").rglob("*") if p.is_file())
    assert stats.bytes == sum(p.stat().st_size for p in (site / "pagefind").rglob("*") if p.is_file())
    assert 0 < stats.seconds <= elapsed  # the time it took, in seconds (not ms, not a constant)
    with pytest.raises(search.SearchIndexError):
        search.index_site(tmp_path / "missing")
    with pytest.raises(search.SearchIndexError, match="Pagefind failed"):
        search.index_site(site, exclude=("h2 + ul",))  # a selector Pagefind cannot parse
    assert digest(site / "pagefind") == before  # the old bundle stays
    (tmp_path / "fresh").mkdir()
    assert (site / "pagefind").stat().st_mode == (tmp_path / "fresh").stat().st_mode  # not the temp dir's 0700


# --- in chromium -------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("ident", list(TARGETS))
def test_exact_error_message_ranks_its_article_first(served, page, ident):
    base, _ = served
    title, message = TARGETS[ident]
    page.goto(f"{base}kb/kb-003/")  # any depth
    type_query(page, message)
    first = page.locator("ol.md-search-result__list > li.md-search-result__item").first
    link = first.locator("> a.md-search-result__link").first
    assert link.locator("> article.md-search-result__article.md-typeset > h1").inner_text() == title
    assert f"/kb/{ident}/" in (link.get_attribute("href") or "")
    assert first.locator("mark").count() > 0
    assert "matching document" in page.locator(".md-search-result__meta").inner_text()
    link.click()
    page.wait_for_url(re.compile(rf".*/kb/{ident}/.*"))
    assert page.locator("article.md-content__inner h1").inner_text().strip().rstrip("¶") == title


@pytest.mark.browser
def test_results_come_from_pagefind_not_lunr(served, page):
    base, requests = served
    requests.clear()
    page.goto(base)
    type_query(page, "ERR_SYNC_CONFLICT 0x80070020")
    assert page.locator(".md-search-result__item").count() >= 1
    assert not [r for r in requests if "/assets/javascripts/workers/" in r]  # Material's lunr worker never loads
    assert "/assets/kbgen/search-worker.js" in requests
    assert "/pagefind/pagefind.js" in requests
    assert any(r.startswith("/pagefind/fragment/") for r in requests)
    # Enter opens the best result, as in Material
    page.locator("input.md-search__input").press("Enter")
    page.wait_for_url(re.compile(r".*/kb/kb-sync/.*"))


@pytest.mark.browser
def test_a_message_with_a_different_variable_part_still_finds_both_articles(served, page):
    base, _ = served
    page.goto(base)
    type_query(page, "PDF export failed: font 'Verdana' not embedded")
    hrefs = [a.get_attribute("href") or "" for a in page.locator(".md-search-result__item > a").all()]
    assert any("/kb/kb-pdf/" in h for h in hrefs[:3]) and any("/kb/kb-pdf-other/" in h for h in hrefs[:3])


@pytest.mark.browser
def test_markup_in_a_title_renders_as_text(served, page):
    base, _ = served
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base)
    type_query(page, "ERR_IMPORT_MARKUP")
    first = page.locator(".md-search-result__item").first
    assert first.locator("h1").inner_text() == XSS_TITLE
    assert page.locator(".md-search-result script").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert not dialogs


@pytest.mark.browser
def test_empty_and_unknown_queries_use_materials_messages(served, page):
    base, _ = served
    page.goto(base)
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("qqqzzzxxy", delay=10)
    page.wait_for_function("() => /No matching/.test(document.querySelector('.md-search-result__meta').textContent)",
                           timeout=15_000)
    assert page.locator(".md-search-result__item").count() == 0
    box.fill("")
    box.dispatch_event("keyup")
    page.wait_for_function("() => /Type to start/.test(document.querySelector('.md-search-result__meta').textContent)",
                           timeout=15_000)
