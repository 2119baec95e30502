"""The demo knowledge base through the real `mkdocs build` with mkdocs-material, read back as a user would."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from kbgen import search, theme
from tests.conftest import REPO, kbgen
from tests.kb import case_text, write_kb

CASES = REPO / "content" / "cases"


def demo_cases() -> list[dict]:
    out = []
    for path in sorted(CASES.rglob("*.md")):
        front = path.read_text(encoding="utf-8").split("---\n")[1]
        meta = yaml.safe_load(front)
        meta["_path"] = path
        out.append(meta)
    return out


def test_demo_is_big_enough_to_show_every_feature():
    cases = demo_cases()
    assert len(cases) >= 60
    assert len({c["product"] for c in cases}) >= 3
    assert sum(c.get("visibility") == "internal" for c in cases) >= 2
    assert sum("## Internal notes" in c["_path"].read_text() for c in cases) >= 10
    rcs = yaml.safe_load((REPO / "content" / "root-causes.yml").read_text())
    assert {r["kind"] for r in rcs.values()} == {"defect", "usability", "documentation", "configuration", "third-party", "by-design"}
    assert {r["status"] for r in rcs.values()} == {"open", "investigating", "fix-planned", "fixed", "wont-fix"}


def test_every_public_case_is_an_article_or_a_redirect(demo_site: Path):
    data = json.loads((demo_site / "api" / "articles.json").read_text())
    articles = {a["id"]: a for a in data["articles"]}
    covered = {cid for a in articles.values() for cid in a["cases"]}
    for case in demo_cases():
        page = demo_site / "kb" / str(case["id"]).lower() / "index.html"
        if case.get("visibility") == "internal":
            assert not page.exists() and case["id"] not in covered
            continue
        assert case["id"] in covered, case["id"]
        html = page.read_text()
        if case["id"] in articles:
            assert "<h1" in html and "kb-facts" in html
        else:
            target = next(a for a in articles.values() if case["id"] in a["merged"])
            assert 'http-equiv="refresh"' in html and f"../{target['id'].lower()}/" in html
            assert f'rel="canonical" href="https://support.acme.example/kb/{target["id"].lower()}/"' in html


def test_article_page_shows_the_case(demo_site: Path):
    data = json.loads((demo_site / "api" / "articles.json").read_text())
    article = max(data["articles"], key=lambda a: (a["case_count"], a["id"]))
    html = (demo_site / "kb" / article["id"].lower() / "index.html").read_text()
    body = html[html.index("<article"):html.index("</article>")]
    for heading in ("Problem", "Solution"):
        assert re.search(rf"<h2[^>]*>{heading}", body), heading
    assert body.index(">Problem") < body.index(">Solution")
    assert f"{article['case_count']} times between {article['first_resolved']} and {article['last_resolved']}" in body
    assert "Also reported as" in body
    assert article["product"] in body
    assert "Copy link" in body and "Copy reply" in body
    assert f'href="https://support.acme.example/feedback?article={article["id"]}"' in body
    assert "Report a problem with this article" in body


class NavLinks(HTMLParser):
    """Links and their text inside <nav> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self.depth += 1
        elif tag == "a" and self.depth:
            self.hrefs.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data.strip())


def test_articles_stay_out_of_the_nav_and_pages_stay_small(demo_site: Path):
    nav = NavLinks()
    nav.feed((demo_site / "index.html").read_text())
    assert not [h for h in nav.hrefs if "kb/" in h]
    assert {"Home", "Browse", "Top issues", "Known issues"} <= set(nav.text)
    biggest = max((p.stat().st_size, p) for p in (demo_site / "kb").rglob("index.html"))
    assert biggest[0] < 80_000, biggest


def test_browse_pages_per_product_and_component(demo_site: Path):
    products = {c["product"] for c in demo_cases() if c.get("visibility") != "internal"}
    browse = (demo_site / "browse" / "index.html").read_text()
    for product in products:
        assert product in browse
        slug = re.sub(r"[^a-z0-9]+", "-", product.lower()).strip("-")
        assert (demo_site / "products" / slug / "index.html").exists()
    assert len(list((demo_site / "products").glob("*/*/index.html"))) >= 6


def test_articles_are_searched_through_pagefind_not_lunr(demo_site: Path):
    index = json.loads((demo_site / "search" / "search_index.json").read_text())
    locations = {d["location"].split("#")[0] for d in index["docs"]}
    assert not any(loc.startswith(("kb/", "products/")) for loc in locations)
    assert (demo_site / "pagefind" / "pagefind.js").exists()
    entry = json.loads((demo_site / "pagefind" / "pagefind-entry.json").read_text())
    pages = sum(lang["page_count"] for lang in entry["languages"].values())
    articles = json.loads((demo_site / "api" / "articles.json").read_text())["articles"]
    assert pages == len(articles)
    assert '"search": "../../assets/kbgen/search-worker.js"' in (demo_site / "kb" / articles[0]["id"].lower() / "index.html").read_text()


def test_site_is_readable_by_a_web_server(demo_site: Path):
    assert demo_site.stat().st_mode & 0o005 == 0o005


def test_theme_override_from_the_repository_is_used(demo_site: Path):
    assert "support@acme.example" in (demo_site / "index.html").read_text()


def test_fixed_but_recurring_article_warns_customers(demo_site: Path):
    top = json.loads((demo_site / "api" / "top-issues.json").read_text())
    recurring = [i for i in top["issues"] if "fixed-but-recurring" in i["flags"]]
    assert recurring
    html = (demo_site / "kb" / recurring[0]["article"].lower() / "index.html").read_text()
    assert "but reported" in html and "if upgrading does not help, use the solution below" in html


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_search_index_made_while_pages_are_written_is_the_one_of_the_built_pages(demo_site: Path, tmp_path: Path):
    copy = tmp_path / "site"
    shutil.copytree(demo_site, copy)
    search.index_site(copy)  # the built pages indexed after the build, the way the index was always made
    assert files_of(copy / "pagefind") == files_of(demo_site / "pagefind")


def test_built_pages_are_indexed_again_only_when_one_differs_from_what_pagefind_was_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    config = write_kb(tmp_path, {f"c{n}.md": case_text(f"CASE-{n}", title=f"Sync stops with E{n}0{n}", product=f"P{n}") for n in (1, 2, 3)})
    late: list[Path] = []
    index_site = search.index_site
    monkeypatch.setattr(search, "index_site", lambda site, **kw: late.append(site) or index_site(site, **kw))

    def indexed() -> int:
        result = kbgen("build", "-f", str(config))
        assert result.exit_code == 0, result.output
        entry = json.loads((tmp_path / "site" / "pagefind" / "pagefind-entry.json").read_text())
        return sum(lang["page_count"] for lang in entry["languages"].values())

    assert indexed() == 3 and late == []  # Pagefind ran while MkDocs wrote the pages
    # a hand-written page under kb/ that Pagefind was not given: the built site is indexed instead, the page found too
    notes = tmp_path / "content" / "pages" / "kb" / "notes" / "index.md"
    notes.parent.mkdir(parents=True)
    notes.write_text("# Team notes\n\nERR_HANDWRITTEN comes from the proxy.\n", encoding="utf-8")
    assert indexed() == 4 and len(late) == 1


def test_theme_parts_rendered_once_give_every_page_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # the demo, with the theme features that put more of the page into the header and footer
    for folder in ("content", "theme"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    extra = "    - navigation.tabs\n    - navigation.tabs.sticky\n    - navigation.footer\n"
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8").replace("  features:\n", "  features:\n" + extra, 1)
    config += "repo_url: https://git.acme.example/support/kb\ncopyright: Copyright &copy; Acme\n"
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    shared: list[list[str]] = []
    share = theme.share
    with monkeypatch.context() as m:
        m.setattr(theme, "share", lambda *a: shared.append(share(*a)) or shared[-1])
        assert kbgen("build", "--strict", "-f", str(tmp_path / "mkdocs.yml"), "--site-dir", str(tmp_path / "shared")).exit_code == 0
    monkeypatch.setattr(theme, "share", lambda *a: [])  # every page renders Material's navigation, header, footer, ... itself
    assert kbgen("build", "--strict", "-f", str(tmp_path / "mkdocs.yml"), "--site-dir", str(tmp_path / "own")).exit_code == 0
    assert shared == [[theme.NAV, theme.HEADER, theme.FOOTER, theme.SEARCH, theme.LANGUAGE, theme.BASE]]
    pages = {k: v for k, v in files_of(tmp_path / "own").items() if k.endswith(".html")}
    assert len(pages) > 50
    assert pages == {k: v for k, v in files_of(tmp_path / "shared").items() if k.endswith(".html")}


def test_pages_share_a_navigation_only_outside_it_and_in_a_folder_without_a_nav_page():
    nav = {"", "browse/", "kb/pinned/", "guide/setup/"}
    assert theme.folder_key("kb/case-1/", nav) == "kb" == theme.folder_key("kb/case-2/", nav)
    assert theme.folder_key("products/acme/", nav) == "products"
    assert theme.folder_key("browse/", nav) is None  # in the nav: its item is the active one
    assert theme.folder_key("guide/", nav) is None  # guide/setup/ is below it: linked as setup/, not ../guide/setup/
    assert theme.folder_key("kb/case-1/index.html", nav) == "kb"  # use_directory_urls: false
    assert theme.folder_key("kb/notes.html", nav) is None  # its folder is kb/, which holds kb/pinned/
    assert theme.folder_key("notes.html", nav) is None and theme.folder_key("", nav) is None  # the site's root holds the nav


def test_a_sites_own_search_box_is_rendered_per_page_and_words_follow_its_language(tmp_path: Path):
    """Only Material's own parts are shared: a site's override (custom_dir) still renders on every page."""
    config = write_kb(tmp_path, {f"c{n}.md": case_text(f"CASE-{n}", title=f"Title number {n}", problem=f"Fails with `E{n}00`.",
                                                      solution=f"1. Run step {n}.") for n in range(1, 4)})
    config.write_text(config.read_text().replace("  name: material\n", "  name: material\n  custom_dir: overrides\n  language: de\n"))
    (tmp_path / "overrides" / "partials").mkdir(parents=True)
    (tmp_path / "overrides" / "partials" / "search.html").write_text('<div class="own-search">{{ page.title }}</div>\n')
    # a block of base.html kbgen shares, overridden: the site's block, with Material's shared one as its super()
    (tmp_path / "overrides" / "main.html").write_text('{% extends "base.html" %}\n{% block scripts %}{{ super() }}'
                                                      '<script>/* own {{ page.title }} */</script>{% endblock %}\n')
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    for n in range(1, 4):
        page = (tmp_path / "site" / "kb" / f"case-{n}" / "index.html").read_text()
        assert f'<div class="own-search">Title number {n}</div>' in page
        assert f"<script>/* own Title number {n} */</script>" in page and page.index("/javascripts/bundle.") < page.index("/* own ")
        assert "Zum Inhalt" in page and "Skip to content" not in page  # Material's German words, looked up once for the site


def test_a_header_holding_a_sites_own_partial_is_rendered_per_page(tmp_path: Path):
    """The header is shared only while every partial it includes is Material's own: a site's logo that reads the page
    must show each page's own."""
    config = write_kb(tmp_path, {f"c{n}.md": case_text(f"CASE-{n}", title=f"Title number {n}", problem=f"Fails with `E{n}00`.",
                                                      solution=f"1. Run step {n}.") for n in range(1, 4)})
    config.write_text(config.read_text().replace("  name: material\n", "  name: material\n  custom_dir: overrides\n"))
    (tmp_path / "overrides" / "partials").mkdir(parents=True)
    (tmp_path / "overrides" / "partials" / "logo.html").write_text('<span class="own-logo">{{ page.url }}</span>\n')
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    for n in range(1, 4):
        assert f'<span class="own-logo">kb/case-{n}/</span>' in (tmp_path / "site" / "kb" / f"case-{n}" / "index.html").read_text()
