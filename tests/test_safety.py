"""Nothing private leaks, hostile text never runs, nothing is lost, a failed build keeps the last good site."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import kbgen, search
from tests.kb import case_text, write_kb

MARKERS = ("MARKERSETEXTNOTES", "MARKERNOSPACENOTES", "MARKERTAGCUSTOMER", "MARKERINTERNALCASE", "MARKERINTERNALNOTES", "MARKERCOMMENT", "MARKERCUSTOMER", "MARKERSECRETCASE", "CASE-HIDDEN-77")
HOSTILE_TITLE = "Login fails <script>window.__pwned='title'</script> with `ERR_HOSTILE_4711`"
HOSTILE_BODY = """\
The app shows `ERR_HOSTILE_4711` <img src=x onerror="window.__pwned='img'"> and
<script>window.__pwned='script'</script> then <a href="javascript:window.__pwned='link'" onclick="window.__pwned='click'">this</a>.
[click me](javascript:window.__pwned='md') <iframe src="javascript:window.__pwned='frame'"></iframe>
<form action="https://evil.example/"><input name="password"></form>
<svg onload="window.__pwned='svg'"></svg>
{: onclick="window.__pwned='attr'" }
"""


def private_kb(root: Path) -> Path:
    cases = {
        "public.md": case_text(
            "CASE-PUB-1",
            problem="Sync stops. <!-- MARKERCOMMENT ticket 1234 -->\nStill stops.",
            extra_meta="customer: Zorblax MARKERCUSTOMER Ltd\n",
            extra_body="\n## Internal notes\nMARKERINTERNALNOTES call jane@globex.example\n",
        ),
        "variants.md": case_text(
            "CASE-VAR-1", extra_meta="customer: Initech MARKERTAGCUSTOMER\n",
            extra_body="\nInternal Notes:\n---\nMARKERSETEXTNOTES\n\n##Internal notes\nMARKERNOSPACENOTES\n",
        ),
        "tagged.md": case_text("CASE-TAG-1", extra_meta="tags: [Initech MARKERTAGCUSTOMER]\n"),
        "internal.md": case_text("CASE-HIDDEN-77", title="MARKERINTERNALCASE outage", extra_meta="visibility: internal\n"),
        "secret.md": case_text("CASE-SEC-1", title="MARKERSECRETCASE token", solution="1. Use AKIAABCDEFGHIJKLMNOP as the key."),
        "hostile.md": case_text("CASE-HOSTILE-1", title=HOSTILE_TITLE, problem=HOSTILE_BODY, solution="1. Update the app.", product="Acme Hostile"),
        "hostile-fields.md": case_text(
            "CASE-HOSTILE-2", title="Export fails {: onclick=\"window.__pwned='brace'\" }", product="[p](javascript:window.__pwned='prod')",
            solution="1. Reinstall the exporter.", extra_meta="component: \"<img src=x onerror=window.__pwned='comp'>\"\ntags: [\"<script>window.__pwned='tag'</script>\"]\n",
        ),
        "broken.md": "---\nid: CASE-BROKEN\ntitle: [oops\n---\n",
    }
    return write_kb(root, cases)


def test_no_private_marker_in_any_site_file(tmp_path: Path):
    config = private_kb(tmp_path)
    result = kbgen("build", "-f", str(config))
    assert result.exit_code == 1, result.output  # two files were rejected: invalid content
    site = tmp_path / "site"
    assert (site / "kb" / "case-pub-1" / "index.html").exists()
    scanned = 0
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":  # sitemap.xml.gz and Pagefind's index and fragments are gzip streams
                data = gzip.decompress(data)
            scanned += 1
            for marker in MARKERS:
                for form in (marker, marker.lower()):
                    assert form.encode() not in data, f"{form} leaked into {path.relative_to(site)}"
    assert scanned > 20
    assert any(p.suffix == ".pf_fragment" for p in site.rglob("*")), "the scan must cover the search index"
    assert not (site / "kb" / "case-hidden-77").exists()


def test_summary_accounts_for_every_file(tmp_path: Path):
    config = private_kb(tmp_path)
    result = kbgen("build", "-f", str(config), "--report", str(tmp_path / "report.tsv"))
    files = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "content" / "cases").rglob("*.md"))
    rows = [line.split("\t") for line in (tmp_path / "report.tsv").read_text().splitlines()[1:]]
    assert sorted(r[0] for r in rows) == files
    status = {r[0]: r[1] for r in rows}
    assert status["content/cases/internal.md"] == "internal"
    assert status["content/cases/secret.md"] == "rejected"
    assert status["content/cases/broken.md"] == "rejected"
    assert status["content/cases/public.md"] == "published"
    assert status["content/cases/variants.md"] == "merged"
    assert status["content/cases/tagged.md"] == "rejected"  # a customer's name as a tag
    assert "merged    content/cases/variants.md (CASE-VAR-1) -> kb/case-pub-1/" in result.output
    assert any(line.startswith("8 case files: 3 published as articles, 1 merged into an article, 1 internal, 3 rejected")
               for line in result.output.splitlines()), result.output
    assert "rejected  content/cases/broken.md: invalid YAML" in result.output
    assert "rejected  content/cases/secret.md: public text holds what looks like an AWS access key" in result.output


def test_check_lists_every_problem_and_exits_1(tmp_path: Path):
    config = private_kb(tmp_path)
    result = kbgen("check", "-f", str(config))
    assert result.exit_code == 1
    assert "content/cases/broken.md:3: error: invalid YAML" in result.output
    assert "content/cases/secret.md:12: error: public text holds what looks like an AWS access key" in result.output
    gh = kbgen("check", "-f", str(config), "--format", "github")
    assert "::error file=content/cases/broken.md,line=3::invalid YAML" in gh.output


def test_failed_strict_build_keeps_the_last_good_site(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("CASE-A")})
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    before = (tmp_path / "site" / "kb" / "case-a" / "index.html").read_bytes()
    (tmp_path / "content" / "cases" / "b.md").write_text(case_text("CASE-B", extra_meta="root_casue: RC-1\n"))
    result = kbgen("build", "--strict", "-f", str(config))
    assert result.exit_code == 1
    assert "left as it was" in result.output
    assert (tmp_path / "site" / "kb" / "case-a" / "index.html").read_bytes() == before
    assert not (tmp_path / "site" / "kb" / "case-b").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


@pytest.mark.browser
def test_hostile_text_never_runs(tmp_path: Path, serve, page):
    config = private_kb(tmp_path)
    kbgen("build", "-f", str(config))
    base = serve(tmp_path / "site")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + "kb/case-hostile-1/")
    assert "ERR_HOSTILE_4711" in page.inner_text("article")
    assert "<script>" in page.inner_text("h1")  # shown as text, not run
    assert page.evaluate("window.__pwned") is None
    for link in page.query_selector_all("article a"):
        assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
    assert page.query_selector("article iframe, article form, article input, article svg[onload]") is None
    search(page, "ERR_HOSTILE_4711")
    assert page.evaluate("window.__pwned") is None
    page.click(".md-search-result__item a")
    page.wait_for_url("**/kb/case-hostile-1/**")
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []


class Attacks(HTMLParser):
    """Anything in a page that would run the planted payloads: handlers, javascript: URLs, script text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_script = tag == "script"
        for name, value in attrs:
            value = (value or "").strip().lower()
            if (name.startswith("on") and "__pwned" in value) or (name in ("href", "src", "action") and value.startswith("javascript:")):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        if self.in_script and "__pwned" in data:
            self.found.append(f"<script>{data[:60]}")

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False


def test_no_page_carries_a_live_payload(tmp_path: Path):
    config = private_kb(tmp_path)
    kbgen("build", "-f", str(config))
    pages = [p for p in (tmp_path / "site").rglob("*.html") if "assets" not in p.parts]
    assert len(pages) > 10
    assert (tmp_path / "site" / "kb" / "case-hostile-2" / "index.html").exists()
    for page in pages:
        parser = Attacks()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.found == [], page


def test_files_that_look_like_cases_but_are_not_read_are_named(tmp_path: Path):
    """A case saved as `.MD` or `.markdown`, or a linked folder of cases, would be left out without a word: the
    summary's count would simply be one short. Each is a warning naming it (so --strict fails)."""
    config = write_kb(tmp_path, {"a.md": case_text("CASE-A"), "b.MD": case_text("CASE-B"), "more/c.markdown": case_text("CASE-C"),
                                 "notes.txt": "not a case", "d.md~": "an editor's backup"})
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "e.md").write_text(case_text("CASE-E"), encoding="utf-8")
    (tmp_path / "content" / "cases" / "linked").symlink_to(shared, target_is_directory=True)
    check = kbgen("check", "--strict", "-f", str(config))
    assert check.exit_code == 1, check.output
    assert "content/cases/b.MD:1: warning: not read: a case file's name ends in '.md' (lower case); rename it" in check.output
    assert "content/cases/more/c.markdown:1: warning: not read: a case file's name ends in '.md' (lower case); rename it" in check.output
    assert "content/cases/linked:1: warning: not read: a linked folder is not followed; move its cases into the cases folder" in check.output
    assert "notes.txt" not in check.output and "d.md~" not in check.output
    assert "1 case file:" in kbgen("build", "-f", str(config)).output


def test_the_report_keeps_one_row_of_five_fields_per_file_whatever_its_name(tmp_path: Path):
    """File names (and the reasons that quote case text) may hold tabs and line breaks: written raw, they split a
    file's row in two or shift its columns, and a tool reading the report loses or misreads that file."""
    config = write_kb(tmp_path, {"tab\tname.md": case_text("CASE-T", title="Printer jams", problem="Paper jams in tray 2.",
                                                           solution="1. Open tray 2.\n2. Remove the sheet."),
                                 "new\nline.md": case_text("CASE-N", title="Scanner is slow", problem="Scans take minutes.",
                                                           solution="1. Update the scanner driver."),
                                 "twice.md": case_text("CASE-W", extra_body="\n## Ex\ttra\nA.\n\n## Ex\ttra\nB.\n")})
    kbgen("build", "-f", str(config), "--report", str(tmp_path / "report.tsv"))
    rows = [line.split("\t") for line in (tmp_path / "report.tsv").read_text(encoding="utf-8").splitlines()]
    assert [len(r) for r in rows] == [5, 5, 5, 5], rows
    by_path = {r[0]: r for r in rows[1:]}
    assert by_path["content/cases/tab\\tname.md"][1:3] == ["published", "CASE-T"]
    assert by_path["content/cases/new\\nline.md"][1:3] == ["published", "CASE-N"]
    assert by_path["content/cases/twice.md"][1] == "rejected" and "Ex\\ttra" in by_path["content/cases/twice.md"][4]


def _site_bytes(site: Path) -> list[tuple[str, bytes]]:
    out = []
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out.append((path.relative_to(site).as_posix(), gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data))
    return out


def test_cases_kept_inside_docs_dir_are_input_never_pages(tmp_path: Path):
    """MkDocs publishes every file of docs_dir: with `docs_dir: content` and the cases in
    content/cases, each case file became a page of its own, internal notes, internal cases and customers included,
    and root-causes.yml a download. The cases folder and the root-causes file are kbgen's input, in the build and in
    `kbgen export` alike."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = private_kb(tmp_path)
    config.write_text(config.read_text().replace("docs_dir: content/pages", "docs_dir: content"), encoding="utf-8")
    result = kbgen("build", "-f", str(config))
    assert (tmp_path / "site" / "kb" / "case-pub-1" / "index.html").exists(), result.output
    assert "Exported" in kbgen("export", "-f", str(config), str(tmp_path / "export")).output  # the rejected files aside
    build(load_config(str(tmp_path / "export" / "mkdocs.yml")))
    for site in (tmp_path / "site", tmp_path / "export" / "site"):
        names = [name for name, _ in _site_bytes(site)]
        assert not any(n.startswith(("cases/", "content/cases/")) or n.endswith("root-causes.yml") for n in names), names
        for name, data in _site_bytes(site):
            for marker in MARKERS:
                assert marker.encode() not in data and marker.lower().encode() not in data, (marker, site.name, name)
