"""The hostile-input corpus (tests/hostile/, issue 10's "Done when"): every class of the issue, several variants each.

The corpus is built once with every Material feature and Markdown extension a site may switch on
(tests/hostile/mkdocs.yml). Private text is planted as ``HXLEAK<class>x<variant>``; no such marker may
reach any file under site/ (gzip streams such as Pagefind's index are decompressed first). Payloads set
``window.__pwned``; chromium opens every hostile page and the search results and must see none run.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tests.conftest import kbgen, search
from tests.kb import case_text, write_kb

CORPUS = Path(__file__).parent / "hostile"
MARKER = re.compile(rb"hxleak(\d+)x\w*")
PARSE_CLASSES = {"2", "4", "7"}  # internal notes hidden by Markdown tricks, customer names, the visibility typo


@dataclass
class Built:
    root: Path
    site: Path
    check: str
    build: str
    report: dict[str, tuple[str, str]]  # path -> (status, reason)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(CORPUS, root, dirs_exist_ok=True)
    unreadable = root / "cases" / "c6-unreadable.md"
    if os.geteuid() == 0:  # root reads any file whatever its mode: a file whose read fails stands in
        unreadable.symlink_to("/proc/self/mem")
    else:
        unreadable.write_text(case_text("HX-6-99"))
        unreadable.chmod(0)
    (root / "cases" / "c6-dangling-link.md").symlink_to(root / "cases" / "gone.md")
    check = kbgen("check", "-f", str(root / "mkdocs.yml"))
    build = kbgen("build", "-f", str(root / "mkdocs.yml"), "--report", str(root / "report.tsv"))
    assert check.exit_code == 1 and build.exit_code == 1, check.output + build.output  # some files are rejected, none crash
    rows = [line.split("\t") for line in (root / "report.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    return Built(root, root / "site", check.output, build.output, {r[0]: (r[1], r[4]) for r in rows})


def leaked(site: Path) -> dict[str, set[str]]:
    """Every planted marker found in any file of the site, with the files it is in."""
    found: dict[str, set[str]] = {}
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        for m in MARKER.finditer(data.lower()):
            found.setdefault(m.group(0).decode(), set()).add(path.relative_to(site).as_posix())
        if b"86420975" in data:  # the numeric customer name
            found.setdefault("4x-numeric-customer", set()).add(path.relative_to(site).as_posix())
    return found


def test_every_case_file_is_accounted_for_and_nothing_crashed(hostile: Built):
    files = sorted(p.relative_to(hostile.root).as_posix() for p in (hostile.root / "cases").iterdir())
    assert sorted(hostile.report) == files
    assert "Traceback" not in hostile.check + hostile.build
    assert any(p.suffix == ".pf_fragment" for p in hostile.site.rglob("*")), "the leak scan must cover the search index"


def test_check_and_build_agree_on_every_file(hostile: Built):
    errors = {line.split(":", 1)[0] for line in hostile.check.splitlines() if re.match(r"^\S+:\d+: error: ", line)}
    for path, (status, reason) in hostile.report.items():
        assert (path in errors) == (status == "rejected"), f"{path}: check {'errors' if path in errors else 'passes'}, build says {status} {reason}"


def test_no_private_marker_of_the_classes_fixed_here_reaches_the_site(hostile: Built):
    bad = {m: files for m, files in leaked(hostile.site).items() if m[6:].split("x")[0] not in PARSE_CLASSES and not m.startswith("4x")}
    assert bad == {}


def test_no_private_marker_at_all_reaches_the_site(hostile: Built):
    assert leaked(hostile.site) == {}


EXPECTED = {  # file -> what the build's report says (the diagnostics `kbgen check` prints, first error of the file)
    "cases/c3-uses-1.md": "root cause 'RC-SECRET' has an error in root-causes.yml, so it is not published",
    "cases/c3-uses-5.md": "root cause 'AKIAHXLEAK3X50000001' has an error in root-causes.yml",
    "cases/c5-pgp.md": "public text holds what looks like a private key block",
    "cases/c5-azure.md": "public text holds what looks like an Azure storage account key",
    "cases/c5-basic.md": "public text holds what looks like an HTTP Basic authorization header",
    "cases/c5-client-secret.md": "public text holds what looks like an API key or password",
    "cases/c5-gitlab.md": "public text holds what looks like a GitLab token",
    "cases/c5-openai.md": "public text holds what looks like an OpenAI key",
    "cases/c5-openai-old.md": "public text holds what looks like an OpenAI key",
    "cases/c5-slack-webhook.md": "public text holds what looks like a Slack webhook URL",
    "cases/c5-aws-secret.md": "public text holds what looks like an AWS secret access key",
    "cases/c5-aws-key.md": "public text holds what looks like an AWS access key",
    "cases/c5-password-letters.md": "public text holds what looks like an API key or password",
    "cases/c5-password-quoted.md": "public text holds what looks like an API key or password",
    "cases/c5-url-creds.md": "public text holds what looks like a password inside a URL",
    # as the page shows them: percent-escaped inside another address, or written with an entity
    "cases/c5-webhook-escaped.md": "public text holds what looks like a Slack webhook URL",
    "cases/c5-url-creds-escaped.md": "public text holds what looks like a password inside a URL",
    "cases/c5-entity-token.md": "public text holds what looks like a GitHub token",
    "cases/c6-ansi.md": "line holds an escape character (ANSI colour codes?), which pages and the feed cannot carry",
    "cases/c6-formfeed.md": "line holds a form feed",
    "cases/c6-noncharacter.md": "line holds the noncharacter U+FFFE",
    "cases/c6-digits.md": "'handle_minutes' must be a number of minutes from 0 to 525600 (a year), not a number of 400 characters",
    "cases/c6-nan.md": "'handle_minutes' must be a number of minutes from 0 to 525600 (a year), not nan",
    "cases/c6-inf.md": "'handle_minutes' must be a number of minutes from 0 to 525600 (a year), not inf",
    "cases/c6-unreadable.md": "cannot be read (",
    "cases/c6-dangling-link.md": "cannot be read (No such file or directory)",
    "cases/c6-bad-date.md": "'resolved' is not a real date",
    # markdown-it stops reading past its nesting limit: the rest of the file would be lost, so it is an error
    "cases/c6-nested-list.md": "lists or quotes are nested more than 49 levels deep here; flatten them",
    "cases/c6-deep-quote.md": "lists or quotes are nested more than 49 levels deep here; flatten them",
    # a name the page shows whole although no source line holds it: a tooltip over two lines, an entity in a link
    # title, percent-escapes in an address, Markdown or an entity in a front-matter field
    "cases/c4-tooltip-wrapped.md": "public text names the customer 'Hxleak4x10opal Dyes'",
    "cases/c4-link-title-entity.md": "public text names the customer 'Hxleak4x11umber Paints'",
    "cases/c4-url-encoded.md": "public text names the customer 'Hxleak4x12sepia Inks'",
    "cases/c4-title-markup.md": "public text names the customer 'Hxleak4x13ochre Tiles'",
    "cases/c4-title-entity.md": "public text names the customer 'Hxleak4x14cobalt Glass'",
    # a one-word name in lower case is an ordinary word in prose, but tags and versions are labels, as ids are
    "cases/c4-tag-lower.md": "public text names the customer 'hxleak4x15quasar'",
    "cases/c4-version-lower.md": "public text names the customer 'hxleak4x16nova'",
}
PUBLISHED = ["c1-config", "c1-tooltips", "c1-labels", "c1-mermaid", "c1-classic", "c1-instant", "c1-annotate", "c1-ids", "c3-good", "c6-long-product",
             "c6-divs", "c6-year-one", "c6-year-9999", "c6-bidi", "c6-emoji", "c6-email-like",
             "c6-punctuation", "c6-float-minutes"]


def test_each_hostile_file_gets_its_verdict(hostile: Built):
    for path, reason in EXPECTED.items():
        assert hostile.report[path][0] == "rejected" and reason in hostile.report[path][1], (path, hostile.report[path])
    for name in PUBLISHED:
        assert hostile.report[f"cases/{name}.md"][0] == "published", (name, hostile.report[f"cases/{name}.md"])
    rc = [line for line in hostile.check.splitlines() if line.startswith("root-causes.yml:")]
    assert "root-causes.yml:9: error: root cause 'RC-CRED' field 'tracker' holds what looks like a password inside a URL" in "\n".join(rc)
    assert "root-causes.yml:11: error: root cause 'RC-CUST' field 'title' names the customer 'Hxleak3x3cust Corp'" in "\n".join(rc)
    assert "root-causes.yml:31: error: root cause 'RC-CUST-MARKUP' field 'title' names the customer 'Hxleak3x3cust Corp'" in "\n".join(rc)
    # a root cause's key is an id: a one-word name in lower case there names the customer
    assert "root-causes.yml:34: error: root cause 'hxleak4x15quasar-outage' names the customer 'hxleak4x15quasar'" in "\n".join(rc)
    long_product = [p for p in (hostile.site / "products").iterdir() if p.name.startswith("ppp")]
    assert len(long_product) == 1 and len(long_product[0].name) <= 64


THEME_BAIT = re.compile(r'\sid="__|\sname=|<label[^>]*\sfor=|class="[^"]*\b(?:mermaid|md-search|md-clipboard|md-banner)\b'
                        r'|<[^>]*\sdata-md-[\w-]*=|<[^>]*\sdata-kb-(?:copy|text)=')


def test_no_article_defines_what_the_theme_reads(hostile: Built):
    """As written to disk, before Material's script adds its own ids (``__code_0``) to the page."""
    for name in PUBLISHED:
        text = (hostile.root / "cases" / f"{name}.md").read_text(encoding="utf-8")
        found = re.search(r"^id: (\S+)$", text, re.M)
        assert found
        html = (hostile.site / "kb" / found.group(1).lower() / "index.html").read_text(encoding="utf-8")
        article = html[html.index("<article"):html.index('<div class="kb-actions"')]
        assert THEME_BAIT.findall(article) == [], name


def test_case_text_cannot_take_the_pages_own_ids_or_controls(hostile: Built):
    """Case HTML is sanitised as case text (``safety.sanitise_case``): an id it defines is prefixed, so the table of
    contents' "Solution" still leads to the Solution heading and the case's own link follows its own element; kbgen's
    and the theme's classes (a search button, a status banner) are dropped from it."""
    html = (hostile.site / "kb" / "hx-1-9" / "index.html").read_text(encoding="utf-8")
    article = html[html.index("<article"):html.index('<div class="kb-actions"')]
    assert re.findall(r'\sid="(?:solution|problem)"', html) == [' id="problem"', ' id="solution"']  # the headings' own
    assert 'id="user-content-solution"' in article and 'href="#user-content-solution"' in article
    assert re.findall(r'class="[^"]*\b(?:md-button|kb-search-button|kb-status)\b', article) == []


def test_unquoted_ids_are_not_changed_silently(hostile: Built):
    assert not (hostile.site / "kb" / "34").exists()


def test_duplicate_of_errors_name_the_duplicate_of_line(hostile: Built):
    assert "cases/c10-duplicate-of.md:6: error:" in hostile.check


def test_a_customer_name_too_short_to_check_is_a_warning(hostile: Built):
    assert re.search(r"cases/c4-short\.md:\d+: warning: .*too short", hostile.check)


@pytest.mark.browser
def test_no_hostile_page_or_search_result_runs_anything(hostile: Built, serve, browser):
    base = serve(hostile.site)
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    slugs = []
    for name in PUBLISHED:
        text = (hostile.root / "cases" / f"{name}.md").read_text(encoding="utf-8")
        found = re.search(r"^id: (\S+)$", text, re.M)
        assert found
        slugs.append(found.group(1).lower())
    for slug in slugs:
        page.goto(f"{base}kb/{slug}/")
        page.wait_for_selector("article")
        for el in page.query_selector_all("article [title]")[:10]:
            el.hover()  # content.tooltips renders a title on hover
        assert page.evaluate("window.__pwned") is None, slug
        assert page.evaluate("document.querySelector('#__config').tagName") == "SCRIPT", slug
    page.goto(f"{base}kb/hx-1-6/")
    # navigation.instant fetches it, finds it is not a page and falls back to loading it: it must not run what it holds.
    # Wait for that load itself; waiting on the current page's load state raced it (CI: "execution context destroyed").
    with page.expect_navigation(url="**/api/articles.json"):
        page.click("article a[href*='articles.json']")
    page.wait_for_load_state()
    assert page.evaluate("document.contentType") == "application/json"
    assert page.evaluate("window.__pwned") is None
    page.goto(base)
    search(page, "hostilesearch")
    assert page.evaluate("window.__pwned") is None
    results = [a.get_attribute("href") for a in page.query_selector_all(".md-search-result__item a")][:6]
    assert results
    here = page.url
    for href in results:
        page.goto(urljoin(here, href or ""))
        assert "/kb/" in page.url and page.query_selector("article h1"), page.url
        assert page.evaluate("window.__pwned") is None, href
    evil = "%3Cimg%20src%3Dx%20onerror%3Dwindow.__pwned%3D1%3E"
    for url in (f"{base}kb/hx-1-2/?h={evil}", f"{base}?q={evil}hostilesearch"):  # search.highlight and search.share read the URL
        page.goto(url)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__pwned") is None, url
    assert dialogs == []
    assert [u for u in requests if "evil" in u] == []
    context.close()


def test_a_root_causes_folder_is_a_diagnostic_not_a_crash(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("CASE-A", extra_meta="root_cause: RC-1\n")})
    (tmp_path / "content" / "root-causes.yml").unlink()
    (tmp_path / "content" / "root-causes.yml").mkdir()
    check = kbgen("check", "-f", str(config))
    assert "content/root-causes.yml:1: error: is a folder, not a file" in check.output
    build = kbgen("build", "-f", str(config))
    assert build.exit_code == 1 and "rejected  content/cases/a.md: root cause 'RC-1' is not in root-causes.yml" in build.output


@pytest.mark.parametrize(("args", "extra", "message"), [
    (["--as-of", "0001-01-01"], "", "as_of 0001-01-01 is too early"),
    ([], "window_days: 999999999999", "window_days must be between 1 and 36500"),
    ([], "hourly_rate: .inf", "hourly_rate must be 0 or more"),
])
def test_settings_that_would_overflow_dates_are_usage_errors(tmp_path: Path, args: list[str], extra: str, message: str):
    config = write_kb(tmp_path, {"a.md": case_text("CASE-A")}, extra=extra)
    for command in ("check", "build"):
        result = kbgen(command, "-f", str(config), *args)
        assert result.exit_code == 2 and message in result.output, result.output


def test_a_templating_plugin_never_runs_case_text_as_jinja(tmp_path: Path) -> None:
    """mkdocs-macros renders every page's Markdown as Jinja: in case text that would print the site's settings, or run
    code while the site builds. Every page kbgen makes says `render_macros: false`, the switch macros honours first."""
    config = write_kb(tmp_path, {"a.md": case_text("CASE-1", title="Sync {{ 6*7 }} fails",
                                                   problem="Fails with {{ config.site_name }} `E100`.",
                                                   solution="1. Run {% if true %}x{% endif %} {{ 7*7 }}.")})
    config.write_text(config.read_text().replace("  - search\n", "  - search\n  - macros\n", 1))
    result = kbgen("build", "--strict", "-f", str(config))
    assert result.exit_code == 0, result.output
    article = (tmp_path / "site" / "kb" / "case-1" / "index.html").read_text(encoding="utf-8")
    assert "Fails with {{ config.site_name }}" in article and "{% if true %}x{% endif %} {{ 7*7 }}" in article
    for page in (tmp_path / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "Sync 42 fails" not in text and "Fails with Test KB" not in text and " 49." not in text, page
    assert (tmp_path / "site" / "about" / "index.html").is_file()  # the site's own pages still go through macros
