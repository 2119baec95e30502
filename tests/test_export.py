"""`kbgen export`: the rendered site as a plain MkDocs project that a builder running no plugins publishes alike."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, kbgen
from tests.kb import case_text, write_kb
from tests.test_safety import Attacks, private_kb


class _Names(yaml.SafeLoader):
    """Reads an exported mkdocs.yml without importing what its !!python/ tags name."""


_Names.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix)


def plain_build(project: Path) -> Path:
    """`mkdocs build` of an exported project, in its own process: no kbgen plugin is loaded or configured."""
    config = yaml.load((project / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Names)
    assert config["plugins"] == ["search"]
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return project / "site"


def article_element(page: Path) -> str:
    """What a reader reads: Material's <article> element, from its tag to its end."""
    html = page.read_text(encoding="utf-8")
    start = html.index('<article class="md-content__inner')
    return html[start:html.index("</article>", start)]


def test_export_of_the_demo_builds_the_same_article_pages(demo_site: Path, tmp_path: Path):
    project = tmp_path / "export"
    result = kbgen("export", "-f", str(REPO / "mkdocs.yml"), str(project))
    assert result.exit_code == 0, result.output
    site = plain_build(project)
    articles = json.loads((demo_site / "api" / "articles.json").read_text())["articles"]
    assert len(articles) > 20
    for a in articles:
        ours, theirs = demo_site / a["url"].split("/", 3)[3] / "index.html", site / f"kb/{a['id'].lower()}/index.html"
        assert article_element(theirs) == article_element(ours), a["id"]
        assert "kb-actions" in article_element(theirs)  # kbgen's article template came along (Copy link / reply)
    # the same files besides: every redirect, the JSON and the feed, byte for byte
    for path in [p.relative_to(demo_site) for p in demo_site.rglob("*") if p.suffix in (".json", ".xml") or "refresh" in _head(p)]:
        if path.parts[0] in ("search", "pagefind") or path.name.startswith("sitemap"):
            continue  # search indexes differ by design: the export uses Material's own search
        assert (site / path).read_bytes() == (demo_site / path).read_bytes(), path
    assert (site / "about" / "index.html").exists()  # the site's own pages come along


def _head(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[:400] if path.suffix == ".html" else ""


def test_export_into_a_folder_that_holds_files_is_refused(tmp_path: Path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    result = kbgen("export", "-f", str(REPO / "mkdocs.yml"), str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_export_of_hostile_cases_has_nothing_live_in_a_plain_build(tmp_path: Path):
    config = private_kb(tmp_path)
    result = kbgen("export", "-f", str(config), str(tmp_path / "export"))
    assert result.exit_code == 1, result.output  # the broken and the secret case are rejected, and said so
    site = plain_build(tmp_path / "export")
    hostile = site / "kb" / "case-hostile-1" / "index.html"
    assert "ERR_HOSTILE_4711" in hostile.read_text(encoding="utf-8")  # the case is there, its payloads are not
    pages = [p for p in site.rglob("*.html") if "assets" not in p.parts]
    assert len(pages) > 10
    for page in pages:
        parser = Attacks()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.found == [], page


@pytest.mark.browser
def test_hostile_export_never_runs_in_the_browser(tmp_path: Path, serve, page):
    config = private_kb(tmp_path)
    kbgen("export", "-f", str(config), str(tmp_path / "export"))
    base = serve(plain_build(tmp_path / "export"))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for url in ("kb/case-hostile-1/", "kb/case-hostile-2/", "", "browse/"):
        page.goto(base + url)
        assert page.evaluate("window.__pwned") is None, url
    page.goto(base + "kb/case-hostile-1/")
    assert "<script>" in page.inner_text("h1")  # shown as text, not run
    for link in page.query_selector_all("article a"):
        assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
    assert page.query_selector("article iframe, article form, article input, article svg[onload], article img") is None
    assert dialogs == []


def test_export_keeps_settings_that_name_python_functions(tmp_path: Path):
    """Material's own mermaid set-up names a function (`format: !!python/name:...`), and pymdownx's slugs are a
    partial of one: export crashed with a YAML traceback on them, after writing half the project."""
    config = write_kb(tmp_path, {"a.md": case_text("EXP-1", solution="1. Run:\n\n    ```mermaid\n    graph TD; A-->B\n    ```")})
    text = config.read_text(encoding="utf-8").replace("  - pymdownx.superfences\n", (
        "  - pymdownx.superfences:\n      custom_fences:\n        - name: mermaid\n          class: mermaid\n"
        "          format: !!python/name:pymdownx.superfences.fence_code_format\n"
        "  - pymdownx.tabbed:\n      slugify: !!python/object/apply:pymdownx.slugs.slugify {kwds: {case: lower}}\n"))
    config.write_text(text, encoding="utf-8")
    result = kbgen("export", "-f", str(config), str(tmp_path / "export"))
    assert result.exit_code == 0, result.output
    written = (tmp_path / "export" / "mkdocs.yml").read_text(encoding="utf-8")
    assert "format: !!python/name:pymdownx.superfences.fence_code_format" in written
    assert "!!python/object/apply:functools.partial" in written
    assert (plain_build(tmp_path / "export") / "kb" / "exp-1" / "index.html").is_file()


def test_export_of_a_setting_it_cannot_write_is_a_clear_error_and_writes_nothing(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("EXP-2")})
    config.write_text(config.read_text(encoding="utf-8") + "extra:\n  pattern: !!python/object/apply:re.compile ['x']\n", encoding="utf-8")
    result = kbgen("export", "-f", str(config), str(tmp_path / "export"))
    assert result.exit_code == 2 and "cannot be exported" in result.output, result.output
    assert not (tmp_path / "export").exists() or not any((tmp_path / "export").iterdir())
