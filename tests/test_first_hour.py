"""A new user's first hour (issue 15): what they meet from `make demo` to their own first cases."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import feedparser
import pytest

from kbgen import markdown, plaintext, scaffold
from kbgen.models import ROOT_CAUSE_KINDS, ROOT_CAUSE_STATUSES
from kbgen.validate import CASE_FIELDS
from tests.conftest import REPO, kbgen
from tests.kb import case_text, write_kb

VENV_BIN = Path(sys.executable).parent

# --- 1. placeholders ------------------------------------------------------------------------------

OLD_SKELETON = """---
id: CASE-2026-0001
title: "TODO: the problem as the customer would search for it"
product: "TODO"
resolved: 2026-03-03
---

## Problem
What the customer saw, in their words. Quote the exact error message in `backticks`.

## Environment
- Product and version, operating system

## Solution
1. The first step.
2. The next step.

## Cause
Why it happened.

## Internal notes
Never published: ticket links, customer contacts, remarks for colleagues.
"""


def test_untouched_skeleton_is_rejected_naming_every_line(tmp_path: Path):
    """The skeleton `kbgen new` wrote before markers (what issue 15 found published) and today's both fail."""
    new = scaffold.CASE_TEMPLATE.format(id="CASE-2026-0002", title='"TODO: the problem"', product='"TODO: the product name"',
                                        today="2026-03-03")
    config = write_kb(tmp_path, {"old.md": OLD_SKELETON, "new.md": new, "ok.md": case_text("OK-1")})
    result = kbgen("check", "-f", str(config))
    assert result.exit_code == 1
    out = result.output
    for line, what in ((3, "'title' is still the placeholder"), (4, "'product' is still the placeholder 'TODO'"),
                       (9, "section '## Problem' still holds the placeholder"), (12, "section '## Environment'"),
                       (15, "section '## Solution' still holds the placeholder '1. The first step.'"), (16, "section '## Solution' still holds the placeholder '2. The next step.'"), (19, "section '## Cause'")):
        assert f"content/cases/old.md:{line}: error: {what}" in out, (line, out)
    assert "content/cases/new.md:3: error: 'title' is still the placeholder 'TODO: the problem'" in out
    assert "content/cases/new.md:4: error: 'product' is still the placeholder" in out
    todo = [n for n, text in enumerate(new.splitlines(), 1) if "TODO" in text and n > 4 and "<!--" not in text and "-->" not in text]
    assert len(todo) == 5
    for n in todo:
        assert f"content/cases/new.md:{n}: error: section" in out, (n, out)
    assert "content/cases/ok.md" not in out
    build = kbgen("build", "-f", str(config))
    assert build.exit_code == 1
    assert not (tmp_path / "site" / "products" / "todo").exists()
    assert (tmp_path / "site" / "kb" / "ok-1" / "index.html").exists()


def test_todo_in_internal_notes_or_mid_sentence_is_fine(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text(
        "A-1", problem="The TODO list widget shows `TODO_ITEMS_MISSING`.", extra_body="\n## Internal notes\nTODO: ask the customer again.\n")})
    result = kbgen("check", "--strict", "-f", str(config))
    assert result.exit_code == 0, result.output


# --- 3. plain mkdocs build ------------------------------------------------------------------------


def mkdocs(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "mkdocs"), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_plain_mkdocs_build_fails_on_a_rejected_case_after_writing_the_good_pages(tmp_path: Path):
    write_kb(tmp_path, {"good.md": case_text("GOOD-1"), "bad.md": case_text("BAD-1", resolved="2026-02-30")})
    for args in (("build",), ("build", "--strict")):
        shutil.rmtree(tmp_path / "site", ignore_errors=True)
        run = mkdocs(*args, cwd=tmp_path)
        assert run.returncode == 1, (args, run.stderr)
        assert "content/cases/bad.md:5: error: 'resolved' is not a real date" in run.stderr
        assert "1 case file rejected and not published (content/cases/bad.md)" in run.stderr
        assert (tmp_path / "site" / "kb" / "good-1" / "index.html").exists()
    # kbgen build publishes the good pages too (swapped in whole), then exits 1 with its summary.
    shutil.rmtree(tmp_path / "site")
    build = kbgen("build", "-f", str(tmp_path / "mkdocs.yml"))
    assert build.exit_code == 1
    assert "rejected  content/cases/bad.md" in build.output
    assert (tmp_path / "site" / "kb" / "good-1" / "index.html").exists()


def test_plain_mkdocs_build_of_good_cases_still_passes(tmp_path: Path):
    write_kb(tmp_path, {"good.md": case_text("GOOD-1")})
    run = mkdocs("build", "--strict", cwd=tmp_path)
    assert run.returncode == 0, run.stderr


# --- 5. plain text from Markdown ------------------------------------------------------------------

REGISTRY_SOLUTION = """1. Quit Acme Sync.
2. Open `regedit` and go to `HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme_Sync\\proxy_settings`.
3. Set **UseSystemProxy** to `1`; see [the proxy guide](https://docs.acme.example/proxy_setup).
4. Run:

    ```
    acme-sync --reset_token --user=first_last
    ```

5. Start Acme Sync again."""


def test_reply_has_every_step_numbered_with_code_verbatim():
    text = plaintext.to_text(REGISTRY_SOLUTION)
    assert text.splitlines() == [
        "1. Quit Acme Sync.",
        "2. Open regedit and go to HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme_Sync\\proxy_settings.",
        "3. Set UseSystemProxy to 1; see the proxy guide (https://docs.acme.example/proxy_setup).",
        "4. Run:",
        "       acme-sync --reset_token --user=first_last",
        "5. Start Acme Sync again.",
    ]


def test_reply_reads_the_solution_as_the_page_shows_it():
    """The reply's text comes from the parse the article's page renders (markdown-it), not from a second parser that
    reads the same Markdown otherwise: Python-Markdown took `1)` steps for one paragraph that the page shows as a list."""
    solution = "1) Sign out.\n2) Sign in again.\n\n* Tick **Remember me**.\n+ Then wait."
    _, sections, _ = markdown.parse_body(f"## Solution\n{solution}\n", 1)
    assert sections[0].html.startswith("<ol>\n<li>Sign out.</li>")  # what the article shows
    assert plaintext.to_text(solution).splitlines() == ["1. Sign out.", "2. Sign in again.", "", "- Tick Remember me.", "", "- Then wait."]


def test_feed_summary_keeps_code_verbatim(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("REG-1", title="Proxy ignored: `ERR_PROXY_AUTH`", solution=REGISTRY_SOLUTION)})
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    feed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
    summary = feed.entries[0].summary
    assert "HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme_Sync\\proxy_settings" in summary
    assert summary.startswith("1. Quit Acme Sync. 2. Open regedit")
    html = (tmp_path / "site" / "kb" / "reg-1" / "index.html").read_text()
    assert 'data-kb-text="Proxy ignored: ERR_PROXY_AUTH\n\n1. Quit Acme Sync.\n2. Open regedit and go to HKEY_LOCAL_MACHINE' in html


# --- 8. the case-format reference -----------------------------------------------------------------


def test_case_format_reference_is_in_the_repository_and_complete():
    readme = (REPO / "README.md").read_text()
    assert "shared/spec" not in readme
    assert "](docs/case-format.md)" in readme
    doc = (REPO / "docs" / "case-format.md").read_text()
    for name in CASE_FIELDS:
        assert re.search(rf"^\| `{name}` \|", doc, re.MULTILINE), f"field {name} is not in docs/case-format.md"
    for word in (*ROOT_CAUSE_KINDS, *ROOT_CAUSE_STATUSES, "## Problem", "## Solution", "## Internal notes", "TODO", "256 KiB"):
        assert word in doc, word


# --- 9. packaging ---------------------------------------------------------------------------------


def test_editable_install_prints_no_packaging_warnings(tmp_path: Path):
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert isinstance(meta["project"]["license"], str)  # an SPDX expression, not the deprecated table
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # A fresh venv installs kbgen as `make setup` does; build isolation fetches a current setuptools.
    run = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "-e", str(REPO)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    out = run.stdout + run.stderr
    assert "BuildBackendWarning" not in out and "deprecated" not in out.lower() and "Editable installation" not in out, out


# --- 10. small things -----------------------------------------------------------------------------


def test_counts_read_in_the_singular_for_one(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("A-1", extra_meta="root_casue: x\n")})
    build = kbgen("build", "-f", str(config))
    assert "1 case file: 1 published as an article," in build.output
    assert "Built the public edition, 1 article, into" in build.output
    check = kbgen("check", "-f", str(config))
    assert "0 errors, 1 warning in 1 case file." in check.output
    strict = kbgen("build", "--strict", "-f", str(config))
    assert "Aborted with 1 warning in strict mode" in strict.output
    config = write_kb(tmp_path, {"b.md": case_text("B-1", extra_meta="duplicate_of: A-1\n"), "a.md": case_text("A-1")})
    dupes = kbgen("dupes", "-f", str(config))
    assert "1 group merges 2 cases; 0 near misses." in dupes.output
    kbgen("build", "-f", str(config), "--as-of", "2026-03-03")
    html = (tmp_path / "site" / "top-issues" / "index.html").read_text()
    assert "The top problem caused" in html and "of the 2 cases in the 90 days" in html
    known = (tmp_path / "site" / "products" / "acme-sync" / "index.html").read_text()
    assert "All 1 article about" in known


def test_init_says_what_to_run_next_and_it_works_without_kbgen_on_path(tmp_path: Path):
    kbgen_exe = VENV_BIN / "kbgen"
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # the README's flow: kbgen lives in .venv/bin, not on PATH
    init = subprocess.run([str(kbgen_exe), "init", "support-kb"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    assert "Set site_url in support-kb/mkdocs.yml" in init.stdout
    next_line = init.stdout.strip().splitlines()[-1]
    assert next_line == f"Next: cd support-kb && {kbgen_exe.resolve()} build"
    run = subprocess.run(next_line.removeprefix("Next: "), shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "site_url is not set" in run.stderr


def test_init_keeps_both_built_editions_out_of_git(tmp_path: Path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert kbgen("init", str(tmp_path / "kb"), "--site-url", "https://kb.example.com/").exit_code == 0
    assert "site_url: \"https://kb.example.com/\"" in (tmp_path / "kb" / "mkdocs.yml").read_text()
    assert kbgen("build", "--strict", cwd=tmp_path / "kb").exit_code == 0
    assert kbgen("build", "--strict", "--audience", "internal", cwd=tmp_path / "kb").exit_code == 0  # customers, notes
    assert (tmp_path / "kb" / "site-internal" / "index.html").exists()
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "kb", check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path / "kb",
                            capture_output=True, text=True, check=True).stdout
    assert status and "site/" not in status and ".site." not in status and "site-internal" not in status
    assert "content/cases/CASE-0001.md" in status


def test_site_url_unset_is_a_warning_that_says_what_to_set(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("A-1")})
    config.write_text(config.read_text().replace("site_url: https://kb.example.com/\n", ""))
    message = "mkdocs.yml:1: warning: site_url is not set"
    check = kbgen("check", "--strict", "-f", str(config))
    assert check.exit_code == 1 and message in check.output and "set `site_url: https://YOUR-KB-HOST/`" in check.output
    build = kbgen("build", "--strict", "-f", str(config))
    assert build.exit_code == 1 and message in build.output
    assert kbgen("build", "-f", str(config)).exit_code == 0


def feed_ids(root: Path, name: str, site_url: str = "") -> tuple[str, str]:
    config = write_kb(root, {"a.md": case_text("CASE-0001")})
    text = config.read_text().replace("site_name: Test KB", f"site_name: {name}").replace("site_url: https://kb.example.com/\n", site_url)
    config.write_text(text)
    assert kbgen("build", "-f", str(config)).exit_code == 0
    feed = feedparser.parse((root / "site" / "feed.xml").read_bytes())
    return feed.feed.id, feed.entries[0].id


def test_every_site_has_its_own_stable_feed_id(tmp_path: Path):
    first = feed_ids(tmp_path / "a", "Acme help")
    again = feed_ids(tmp_path / "b", "Acme help")
    other = feed_ids(tmp_path / "c", "Globex help")
    assert first == again
    assert first[0] != other[0] and first[1] != other[1]
    assert all(i.startswith("urn:uuid:") for i in first + other)
    assert feed_ids(tmp_path / "d", "Acme help", "site_url: https://help.acme.example/\n") == (
        "https://help.acme.example/", "https://help.acme.example/kb/case-0001/")


def test_new_prints_the_path_the_same_way_with_or_without_dir(tmp_path: Path):
    config = write_kb(tmp_path, {})
    plain = kbgen("new", cwd=tmp_path)
    in_dir = kbgen("new", "--dir", "content/cases/sync", cwd=tmp_path)
    year = date.today().year
    assert plain.output.strip() == f"content/cases/CASE-{year}-0001.md"
    assert in_dir.output.strip() == f"content/cases/sync/CASE-{year}-0002.md"
    outside = kbgen("new", "-f", str(config), "--dir", str(tmp_path / "drafts"), cwd=REPO / "kbgen")
    assert outside.output.strip() == str((tmp_path / "drafts" / f"CASE-{year}-0003.md").resolve())


# --- 11. fonts ------------------------------------------------------------------------------------


def test_pages_load_no_fonts_from_google_unless_the_site_asks(tmp_path: Path, demo_site: Path):
    for page in (demo_site / "index.html", next((demo_site / "kb").glob("*/index.html"))):
        html = page.read_text()
        assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html
    config = write_kb(tmp_path, {"a.md": case_text("A-1")})
    config.write_text(config.read_text().replace("  name: material\n", "  name: material\n  font:\n    text: Lato\n"))
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    assert "family=Lato" in (tmp_path / "site" / "index.html").read_text()
    init = tmp_path / "fresh"
    assert kbgen("init", str(init), "--site-url", "https://kb.example.com/").exit_code == 0
    assert kbgen("build", "--strict", cwd=init).exit_code == 0
    assert "fonts.googleapis.com" not in (init / "site" / "index.html").read_text()


def test_mkdocs_serve_keeps_previewing_the_good_pages_when_a_case_is_rejected(tmp_path: Path):
    from tests.test_serve import fetch, free_port, wait_for

    write_kb(tmp_path, {"good.md": case_text("GOOD-1"), "bad.md": case_text("BAD-1", resolved="2026-02-30")})
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "mkdocs"), "serve", "-a", f"127.0.0.1:{port}"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: "Sign in again" in fetch(f"http://127.0.0.1:{port}/kb/good-1/")), "serve stopped at the rejected case"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
