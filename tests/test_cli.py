"""The kbgen commands as an author, an agent and CI run them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import feedparser

from tests.conftest import REPO, kbgen
from tests.kb import case_text, write_kb

DEMO = str(REPO / "mkdocs.yml")


def test_init_then_strict_build_works(tmp_path: Path):
    result = kbgen("init", str(tmp_path / "kb"), "--site-url", "https://support.example.com/")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kb" / "mkdocs.yml").exists()
    build = kbgen("build", "--strict", cwd=tmp_path / "kb")
    assert build.exit_code == 0, build.output
    assert "1 case file: 1 published as an article" in build.output
    assert (tmp_path / "kb" / "site" / "kb" / "case-0001" / "index.html").exists()
    again = kbgen("init", str(tmp_path / "kb"))
    assert again.exit_code == 2 and "never overwrites" in again.output


def fill_in(text: str) -> str:
    """What an agent does with `kbgen new`'s skeleton: real text in every TODO, optional sections kept."""
    replies = {
        "TODO: what the customer saw": "Export stops with `E42` when the file name has a colon.",
        "- TODO: product and version": "- Example App 1.0.0 on Windows 11",
        "1. TODO: the first step.": "1. Rename the file without the colon.",
        "2. TODO: the next step.": "2. Export again.",
        "TODO: why it happened.": "Windows does not allow colons in file names.",
    }
    lines = []
    for line in text.splitlines():
        lines.append(next((new for old, new in replies.items() if line.startswith(old)), line))
    return "\n".join(lines) + "\n"


def test_new_writes_a_fresh_id_that_must_be_filled_in(tmp_path: Path):
    kbgen("init", str(tmp_path / "kb"), "--site-url", "https://support.example.com/")
    kb = tmp_path / "kb"
    first = kbgen("new", "--title", "Export fails with `E42`", "--product", "Example App", cwd=kb)
    second = kbgen("new", "--title", "Another", "--product", "Example App", cwd=kb)
    assert first.exit_code == 0, first.output
    p1, p2 = Path(kb / first.output.strip()), Path(kb / second.output.strip())
    assert p1.name != p2.name and p1.exists() and p2.exists()
    text = p1.read_text()
    for section in ("## Problem", "## Solution", "## Internal notes"):
        assert section in text
    assert "Replace every TODO line" in text  # the skeleton tells the agent what to do
    untouched = kbgen("check", "--strict", cwd=kb)
    assert untouched.exit_code == 1
    rel = first.output.strip()
    lines = text.splitlines()
    todo_lines = [n for n, line in enumerate(lines, 1) if "TODO" in line and not line.startswith("<!--")]
    for n in todo_lines:
        assert f"{rel}:{n}: error: section '## " in untouched.output, (n, untouched.output)
    p1.write_text(fill_in(text))
    p2.write_text(fill_in(p2.read_text()))
    check = kbgen("check", "--strict", cwd=kb)
    assert check.exit_code == 0, check.output


def test_check_reports_file_and_line_for_a_broken_case(tmp_path: Path):
    config = write_kb(tmp_path, {"ok.md": case_text("OK-1"), "sub/bad.md": case_text("BAD-1", extra_meta="resolved2: x\nopened: 2026-13-01\n")})
    result = kbgen("check", "-f", str(config))
    assert result.exit_code == 1
    assert "content/cases/sub/bad.md:7: error: 'opened' is not a real date: 2026-13-01" in result.output
    assert "content/cases/sub/bad.md:6: warning: unknown front-matter field 'resolved2'; did you mean 'resolved'?" in result.output
    assert "1 error, 1 warning in 2 case files." in result.output


def test_warnings_fail_only_under_strict(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("A-1", extra_meta="root_casue: RC-1\n")})
    assert kbgen("check", "-f", str(config)).exit_code == 0
    assert kbgen("check", "--strict", "-f", str(config)).exit_code == 1
    assert kbgen("build", "-f", str(config)).exit_code == 0
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 1


def test_usage_errors_exit_2(tmp_path: Path):
    assert kbgen("check", "-f", str(tmp_path / "missing.yml")).exit_code == 2
    assert kbgen("build", "--as-of", "yesterday", "-f", DEMO).exit_code == 2
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    result = kbgen("check", "-f", str(tmp_path / "mkdocs.yml"))
    assert result.exit_code == 2 and "add `kbgen` to `plugins:`" in result.output


def test_top_json_matches_the_built_file(demo_site: Path):
    result = kbgen("top", "--json", "-f", DEMO)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads((demo_site / "api" / "top-issues.json").read_text())
    table = kbgen("top", "-f", DEMO)
    top = json.loads(result.output)
    for issue in top["issues"][:5]:
        assert issue["article"] in table.output


def test_top_as_of_moves_the_window():
    early = json.loads(kbgen("top", "--json", "--as-of", "2026-06-30", "-f", DEMO).output)
    late = json.loads(kbgen("top", "--json", "-f", DEMO).output)
    assert early["as_of"] == "2026-06-30" and late["as_of"] == "2026-11-20"
    assert early["issues"] != late["issues"]


def test_kbgen_as_of_is_the_one_override_and_as_of_sets_it_for_one_command(monkeypatch):
    monkeypatch.delenv("KBGEN_AS_OF", raising=False)
    kbgen("top", "--json", "--as-of", "2026-06-30", "-f", DEMO)
    assert "KBGEN_AS_OF" not in os.environ  # put back after the command: the next one sees the plugin's date
    monkeypatch.setenv("KBGEN_AS_OF", "2026-07-15")  # what `KBGEN_AS_OF=... mkdocs build` uses too
    assert json.loads(kbgen("top", "--json", "-f", DEMO).output)["as_of"] == "2026-07-15"
    assert json.loads(kbgen("top", "--json", "--as-of", "2026-06-30", "-f", DEMO).output)["as_of"] == "2026-06-30"
    assert os.environ["KBGEN_AS_OF"] == "2026-07-15"


def test_dupes_json_lists_every_merged_group(demo_site: Path):
    result = kbgen("dupes", "--json", "-f", DEMO)
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)["groups"]
    articles = json.loads((demo_site / "api" / "articles.json").read_text())["articles"]
    merged = {a["id"]: sorted(a["cases"]) for a in articles if a["case_count"] > 1}
    assert {g["article"]: sorted(g["cases"]) for g in groups} == merged
    assert all(0 <= g["score"] <= 100 for g in groups)


def test_api_articles_schema(demo_site: Path):
    data = json.loads((demo_site / "api" / "articles.json").read_text())
    assert isinstance(data["articles"], list) and data["articles"]
    types = {"id": str, "title": str, "url": str, "product": str, "versions": list, "tags": list, "merged": list,
             "cases": list, "case_count": int, "first_resolved": str, "last_resolved": str}
    for a in data["articles"]:
        for key, kind in types.items():
            assert isinstance(a[key], kind), (a["id"], key)
        assert a["url"] == f"https://support.acme.example/kb/{a['id'].lower()}/"
        assert a["case_count"] == len(a["cases"]) == len(a["merged"]) + 1
        assert a["first_resolved"] <= a["last_resolved"]
        rc = a["root_cause"]
        assert rc is None or set(rc) >= {"id", "kind", "status", "tracker", "fixed_in"}


def test_feed_is_valid_atom_with_dates_from_the_data(demo_site: Path):
    feed = feedparser.parse((demo_site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    articles = {a["url"]: a for a in json.loads((demo_site / "api" / "articles.json").read_text())["articles"]}
    assert 0 < len(feed.entries) <= 50
    for entry in feed.entries:
        article = articles[entry.link]
        assert entry.updated[:10] >= article["last_resolved"]
        assert entry.updated[:10] <= "2026-11-20"
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True)


def test_similar_finds_the_article_for_a_paraphrased_draft(tmp_path: Path, demo_site: Path):
    draft = tmp_path / "draft.md"
    draft.write_text(
        "---\nid: DRAFT-1\ntitle: client stopped syncing, says unauthorized since I reset my password\nproduct: Acme Sync\n"
        "resolved: 2026-11-21\ncustomer: Initech\n---\n\n## Problem\nEver since the monthly password reset the desktop app "
        "won't sync and keeps telling me 401.\n\n## Internal notes\nInitech ticket 4711\n"
    )
    result = kbgen("similar", str(draft), "--json", "--limit", "3", "-f", DEMO)
    assert result.exit_code == 0, result.output
    results = json.loads(result.output)["results"]
    assert 1 <= len(results) <= 3  # --limit 3; fewer when the others score far below the best
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    top = results[0]
    articles = {a["id"]: a for a in json.loads((demo_site / "api" / "articles.json").read_text())["articles"]}
    assert top["url"] == articles[top["article"]]["url"]
    assert any("401" in t for t in [articles[top["article"]]["title"]]), top
    text = kbgen("similar", "ERR_AUTH 401: invalid_grant", "-f", DEMO)
    assert text.output.splitlines()[0].split()[1] == top["url"].removeprefix("https://support.acme.example/")


def test_top_issues_page_agrees_with_the_json(demo_site: Path):
    top = json.loads((demo_site / "api" / "top-issues.json").read_text())
    html = (demo_site / "top-issues" / "index.html").read_text()
    rows = re.findall(r'<tr><td class="kb-col-rank" data-label="#">(\d+)</td><td [^>]*><a href="\.\./kb/([^/]+)/">.*?</td>'
                      r'<td [^>]*data-label="Cases">(\d+) <small>(\d+)%, cum. (\d+)%</small></td>', html)
    assert 'data-label="Customers' not in html and "agent hours" not in html.lower().split("<table")[1]
    assert len(rows) == 5
    for (rank, slug, cases, share, cumulative), issue in zip(rows, top["issues"][:5], strict=True):
        assert int(rank) == issue["rank"] and slug == issue["article"].lower()
        assert int(cases) == issue["cases"] and "customers" not in issue  # the public edition shows counts only
        assert int(share) == round(issue["share"] * 100) and int(cumulative) == round(issue["cumulative_share"] * 100)
    assert f"of the {top['total_cases']} cases in the 90 days to 2026-11-20" in html
    flagged = [i for i in top["issues"][:5] if "fixed-but-recurring" in i["flags"]]
    assert flagged and "Fixed, yet cases keep arriving after the fix" in html


def test_bad_settings_are_usage_errors(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("A-1")}, extra="window_days: 0\ntop_count: -1\n")
    for command in ("check", "build", "top"):
        result = kbgen(command, "-f", str(config))
        assert result.exit_code == 2, (command, result.output)
        assert "window_days must be between 1 and 36500 (100 years); top_count must be at least 1" in result.output
    config.write_text(config.read_text().replace('as_of: "2026-11-20"', 'as_of: "2026-02-30"').replace("window_days: 0\n", "").replace("top_count: -1\n", ""))
    result = kbgen("check", "-f", str(config))
    assert result.exit_code == 2 and "as_of must be a date" in result.output


def test_build_refuses_to_replace_the_content(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("A-1")})
    result = kbgen("build", "-f", str(config), "--site-dir", str(tmp_path / "content" / "cases"))
    assert result.exit_code == 2 and "would replace" in result.output
    assert (tmp_path / "content" / "cases" / "a.md").exists()


def test_check_refuses_a_site_dir_the_build_would_refuse(tmp_path: Path):
    """`site_dir: content/cases` passed `kbgen check --strict`, then every `kbgen build` exited 2."""
    config = write_kb(tmp_path, {"a.md": case_text("A-1")})
    config.write_text(config.read_text().replace("site_dir: site", "site_dir: content/cases"), encoding="utf-8")
    for command in ("check", "build"):
        result = kbgen(command, "--strict", "-f", str(config))
        assert result.exit_code == 2 and "would replace" in result.output, (command, result.output)
    assert (tmp_path / "content" / "cases" / "a.md").exists()


def test_empty_knowledge_base_builds(tmp_path: Path):
    config = write_kb(tmp_path, {})
    result = kbgen("build", "--strict", "-f", str(config))
    assert result.exit_code == 0, result.output
    assert "0 case files" in result.output
    assert (tmp_path / "site" / "top-issues" / "index.html").exists()


def test_products_whose_names_share_a_slug_keep_their_own_pages(tmp_path: Path):
    config = write_kb(tmp_path, {
        "a.md": case_text("A-1", product="Prod", title="First thing breaks", solution="1. Replace the fuse."),
        "b.md": case_text("B-1", product="prod", title="Second thing breaks", solution="1. Update the firmware image."),
    })
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    pages = sorted((tmp_path / "site" / "products").glob("*/index.html"))
    assert len(pages) == 2
    assert {("First thing breaks" in p.read_text(), "Second thing breaks" in p.read_text()) for p in pages} == {(True, False), (False, True)}


def test_similar_takes_a_long_text(demo_site: Path):
    result = kbgen("similar", "sync says 401 after password change " * 20, "-f", DEMO)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0].split()  # score, URL, title of the best match
    assert first[1] == "kb/case-2026-0141/", result.output  # the demo's "401 after a password change" article
    assert len(result.output.splitlines()) <= 10  # the default --limit; the tail where scores fall off is cut
