"""Two editions from one source: the public site leaks nothing of the team's, the team's shows what it must."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import pytest

from tests.conftest import REPO, kbgen
from tests.kb import case_text, write_kb

SOLUTION = "1. Open Settings and choose Accounts.\n2. Remove the stale `SyncToken` entry.\n3. Sign in again with the new password."
PRIVATE = ("MARKERNOTESPUB", "MARKERNOTESINT", "MARKERINTERNALONLY", "CASE-INT-2", "CASE-INT-9", "Zorblax", "Quuxcorp",
           "MARKERCOMMENT")


def two_editions_kb(root: Path, extra: str = "") -> Path:
    cases = {
        "a.md": case_text("CASE-PUB-1", solution=SOLUTION, resolved="2026-11-01",
                          extra_meta="customer: Zorblax Ltd\nhandle_minutes: 30\nopened: 2026-10-29\n",
                          extra_body="\n## Internal notes\nMARKERNOTESPUB ticket 4711\n"),
        "b.md": case_text("CASE-PUB-3", solution=SOLUTION, resolved="2026-11-05",
                          problem="Sync stops after a password change. <!-- MARKERCOMMENT -->",
                          extra_meta="customer: Initrode\nhandle_minutes: 20\n"),
        # an internal copy of the same problem, resolved first: it must not become the article's URL
        "c.md": case_text("CASE-INT-2", solution=SOLUTION, resolved="2026-10-20",
                          extra_meta="customer: Quuxcorp\nvisibility: internal\nhandle_minutes: 90\n",
                          extra_body="\n## Internal notes\nMARKERNOTESINT escalated\n"),
        # a problem only internal cases have
        "d.md": case_text("CASE-INT-9", title="MARKERINTERNALONLY billing export hangs",
                          problem="The nightly export hangs at 99%.", solution="1. Run the export tool with `--resume`.",
                          resolved="2026-11-10", extra_meta="visibility: internal\n"),
    }
    return write_kb(root, cases, as_of="2026-11-20", extra=extra)


def _files(site: Path) -> list[tuple[Path, bytes]]:
    out = []
    for path in sorted(site.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":  # sitemap.xml.gz and Pagefind's chunks and fragments
                data = gzip.decompress(data)
            out.append((path, data))
    return out


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Both editions built in one working tree, public first and team second, then public again."""
    root = tmp_path_factory.mktemp("editions")
    config = two_editions_kb(root)
    for args in (["build", "--strict"], ["build", "--strict", "--audience", "internal"], ["build", "--strict"]):
        result = kbgen(*args, "-f", str(config))
        assert result.exit_code == 0, result.output
    return root / "site", root / "site-internal"


def test_public_edition_holds_nothing_of_the_team_edition(editions: tuple[Path, Path]) -> None:
    public, _ = editions
    files = _files(public)
    assert len(files) > 20 and any(p.suffix == ".pf_fragment" for p, _ in files)
    for path, data in files:
        for marker in PRIVATE:
            for form in (marker, marker.lower()):
                assert form.encode() not in data, f"{form} leaked into {path.relative_to(public)}"
        assert b"site-internal" not in data and b"Team edition" not in data, path


def test_public_top_issues_show_counts_not_cost(editions: tuple[Path, Path]) -> None:
    public, _ = editions
    page = (public / "top-issues" / "index.html").read_text()
    assert 'data-label="Cases"' in page and 'data-label="Trend"' in page and 'data-label="Days to resolve"' in page
    for word in ("Customers", "agent hours", "EUR", "USD"):
        assert word not in page
    data = json.loads((public / "api" / "top-issues.json").read_text())
    issue = data["issues"][0]
    assert not {"customers", "agent_hours", "cost"} & set(issue)
    assert issue["cases"] == 2  # the two public cases; the internal copy does not count in public
    assert issue["trend_significant"] is False and issue["median_days_to_resolve"] == 3.0


def test_team_edition_shows_internal_cases_notes_customers_and_cost(editions: tuple[Path, Path]) -> None:
    _, team = editions
    article = (team / "kb" / "case-pub-1" / "index.html").read_text()
    assert "MARKERNOTESPUB" in article and "MARKERNOTESINT" in article  # notes of every case, in the marked box
    assert 'class="admonition danger kb-internal"' in article
    for name in ("Zorblax Ltd", "Initrode", "Quuxcorp"):
        assert name in article
    assert "CASE-INT-2" in article
    internal_only = (team / "kb" / "case-int-9" / "index.html").read_text()
    assert "MARKERINTERNALONLY" in internal_only
    top = json.loads((team / "api" / "top-issues.json").read_text())
    first = top["issues"][0]
    assert (first["article"], first["cases"], first["customers"]) == ("CASE-PUB-1", 3, 3)
    assert first["agent_hours"] == 2.33  # (30 + 20 + 90) / 60
    page = (team / "top-issues" / "index.html").read_text()
    assert 'data-label="Customers, agent hours"' in page and "2.3 h, 0 USD" in page
    assert (team / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"


def test_every_team_page_has_the_banner_and_noindex_and_no_comment(editions: tuple[Path, Path]) -> None:
    _, team = editions
    pages = 0
    for path, data in _files(team):
        assert b"MARKERCOMMENT" not in data, path
        if path.suffix == ".html":
            text = data.decode()
            assert 'class="kb-edition-banner"' in text, path
            assert '<meta name="robots" content="noindex' in text, path
            pages += 1
    assert pages > 10


def test_every_public_article_keeps_its_url_in_the_team_edition(editions: tuple[Path, Path]) -> None:
    public, team = editions
    public_articles = json.loads((public / "api" / "articles.json").read_text())["articles"]
    team_articles = {a["id"]: a for a in json.loads((team / "api" / "articles.json").read_text())["articles"]}
    assert [a["id"] for a in public_articles] == ["CASE-PUB-1"]  # canonical: the public case, not the older internal one
    for a in public_articles:
        assert team_articles[a["id"]]["url"] == a["url"]
        assert (team / a["url"].removeprefix("https://kb.example.com/") / "index.html").exists()
    assert set(team_articles) == {"CASE-PUB-1", "CASE-INT-9"}
    assert team_articles["CASE-PUB-1"]["cases"] == ["CASE-PUB-1", "CASE-INT-2", "CASE-PUB-3"]
    # a merged internal id redirects in the team's edition only
    assert (team / "kb" / "case-int-2" / "index.html").exists() and not (public / "kb" / "case-int-2").exists()


def test_team_feed_lists_new_problems(editions: tuple[Path, Path]) -> None:
    import feedparser

    _, team = editions
    feed = feedparser.parse((team / "feed.xml").read_text())
    assert not feed.bozo
    titles = [e.title for e in feed.entries]
    assert "MARKERINTERNALONLY billing export hangs" in titles
    assert all(e.summary.startswith(("New problem:", "Fixed, but cases keep arriving:")) for e in feed.entries)


def test_public_top_issues_off_leaves_no_page_nav_or_file(tmp_path: Path) -> None:
    config = two_editions_kb(tmp_path, extra="public_top_issues: off\n")
    (tmp_path / "mkdocs.yml").write_text(
        (tmp_path / "mkdocs.yml").read_text().replace("site_dir: site\n", "site_dir: site\nnav:\n  - Home: index.md\n"
                                                        "  - Top issues: top-issues/index.md\n  - About: about.md\n"))
    result = kbgen("build", "--strict", "-f", str(config))
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    assert not (site / "top-issues").exists() and not (site / "api" / "top-issues.json").exists()
    assert "Top issues" not in (site / "index.html").read_text()
    team = kbgen("build", "--strict", "--audience", "internal", "-f", str(config))
    assert team.exit_code == 0, team.output
    assert (tmp_path / "site-internal" / "top-issues" / "index.html").exists()  # the team always has it


def test_public_top_issues_full_opts_in_to_cost(tmp_path: Path) -> None:
    config = two_editions_kb(tmp_path, extra="public_top_issues: full\nhourly_rate: 60\n")
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    issue = json.loads((tmp_path / "site" / "api" / "top-issues.json").read_text())["issues"][0]
    assert (issue["customers"], issue["agent_hours"], issue["cost"]) == (2, 0.83, 50.0)  # 50 public minutes


@pytest.mark.parametrize("internal_dir", ["site", "site/team", "."])
def test_the_team_edition_never_lands_in_the_public_site(tmp_path: Path, internal_dir: str) -> None:
    config = two_editions_kb(tmp_path, extra=f'internal_site_dir: "{internal_dir}"\n')
    result = kbgen("build", "--audience", "internal", "-f", str(config))
    assert result.exit_code == 2, result.output
    assert "separate folders" in result.output
    assert not (tmp_path / "site").exists()
    check = kbgen("check", "--strict", "-f", str(config))  # what the build refuses, check refuses: CI learns it first
    assert check.exit_code == 2 and "separate folders" in check.output, check.output


def test_demo_builds_both_editions_strict(tmp_path: Path) -> None:
    for audience, folder in (("public", "pub"), ("internal", "team")):
        result = kbgen("build", "--strict", "--audience", audience, "-f", str(REPO / "mkdocs.yml"), "--site-dir", str(tmp_path / folder))
        assert result.exit_code == 0, result.output
    assert not (tmp_path / "pub" / "kb" / "case-2026-0228").exists()  # an internal demo case
    assert "kb-internal" in (tmp_path / "team" / "kb" / "case-2026-0228" / "index.html").read_text()


@pytest.mark.browser
def test_team_banner_is_shown_and_public_site_has_none(editions: tuple[Path, Path], serve, page) -> None:
    public, team = editions
    page.goto(serve(team) + "kb/case-pub-1/")
    banner = page.locator(".kb-edition-banner")
    assert banner.is_visible() and "do not share" in banner.inner_text()
    assert page.locator(".kb-internal").is_visible()
    page.goto(serve(public) + "kb/case-pub-1/")
    assert page.locator(".kb-edition-banner").count() == 0
    assert page.locator("text=MARKERNOTESPUB").count() == 0


def test_a_secret_in_internal_notes_stays_out_of_the_team_edition(tmp_path: Path) -> None:
    config = write_kb(tmp_path, {"a.md": case_text("CASE-S-1", extra_body="\n## Internal notes\nKey was\nAKIAABCDEFGHIJKLMNOP\n")})
    check = kbgen("check", "-f", str(config))
    assert check.exit_code == 0 and "content/cases/a.md:17: warning: '## Internal notes' holds what looks like an AWS access key" in check.output
    assert kbgen("build", "--audience", "internal", "-f", str(config)).exit_code == 0
    for path, data in _files(tmp_path / "site-internal"):
        assert b"AKIAABCDEFGHIJKLMNOP" not in data, path


def test_public_site_is_the_same_without_computing_the_team_edition(tmp_path: Path) -> None:
    """A public build skips the team's edition (a second dedupe); the public site must not notice."""
    from mkdocs.config import load_config

    from kbgen import config as kbconfig
    from kbgen import pipeline, render

    config = load_config(str(two_editions_kb(tmp_path)))
    plugin = config.plugins["kbgen"]
    options = plugin.options(config)
    settings = kbconfig.render_settings(plugin.config, config)
    full = pipeline.run(options)
    public_only = pipeline.run(dataclasses.replace(options, team_edition=False))
    assert full.team_articles and not public_only.team_articles  # the team's edition was made once, not twice
    assert render.render(public_only, settings) == render.render(full, settings)
    assert public_only.outcomes == full.outcomes


def test_a_plain_mkdocs_build_is_public_whatever_the_environment_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kbgen build --audience internal` chooses the team's edition for its own run only: a KBGEN_AUDIENCE left in a
    shell or a CI job must not turn the next plain `mkdocs build` into the team's edition written into site_dir."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = two_editions_kb(tmp_path)
    monkeypatch.setenv("KBGEN_AUDIENCE", "internal")
    build(load_config(str(config)))
    assert (tmp_path / "site" / "kb" / "case-pub-1" / "index.html").is_file()
    for path, data in _files(tmp_path / "site"):
        for marker in PRIVATE:
            assert marker.encode() not in data, (marker, path)


def test_the_team_edition_is_never_written_into_docs_dir(tmp_path: Path) -> None:
    """MkDocs publishes every file of docs_dir: a team's edition built into it (internal_site_dir under content/pages)
    was copied whole into the public site by the next public build."""
    config = two_editions_kb(tmp_path, extra='internal_site_dir: "content/pages/team"\n')
    team = kbgen("build", "--audience", "internal", "-f", str(config))
    assert team.exit_code == 2 and "docs_dir" in team.output, team.output
    check = kbgen("check", "--strict", "-f", str(config))
    assert check.exit_code == 2 and "is inside docs_dir" in check.output, check.output
    assert not (tmp_path / "content" / "pages" / "team").exists()
    assert kbgen("build", "-f", str(config)).exit_code == 2  # the setting is refused whichever edition is built
    # one left there by an older kbgen is never published, by a plain `mkdocs build` either
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    (tmp_path / "content" / "pages" / "team" / "kb" / "case-int-9").mkdir(parents=True)
    (tmp_path / "content" / "pages" / "team" / "kb" / "case-int-9" / "index.html").write_text("MARKERINTERNALONLY")
    build(load_config(str(config)))
    assert (tmp_path / "site" / "kb" / "case-pub-1" / "index.html").is_file()
    for path, data in _files(tmp_path / "site"):
        assert b"MARKERINTERNALONLY" not in data, path
