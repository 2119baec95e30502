"""Same content, same --as-of, same SOURCE_DATE_EPOCH: byte-identical sites."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, kbgen


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763596800")
    sites = []
    for name in ("one", "two"):
        site = tmp_path / name
        result = kbgen("build", "--strict", "--as-of", "2026-11-20", "-f", str(REPO / "mkdocs.yml"), "--site-dir", str(site))
        assert result.exit_code == 0, result.output
        sites.append(files(site))
    one, two = sites
    assert sorted(one) == sorted(two)
    assert "sitemap.xml.gz" in one and "feed.xml" in one and "search/search_index.json" in one
    different = [name for name in one if one[name] != two[name]]
    assert different == []
