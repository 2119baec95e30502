"""The store `kbgen check`, `dupes` and `top` keep between runs: faster, never different, never trusted blindly."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from kbgen import cache
from kbgen.cache import Store
from tests.conftest import kbgen
from tests.kb import case_text, write_kb


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache-home"
    monkeypatch.setenv("KBGEN_CACHE_DIR", str(where))
    return where


def _kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write_kb(root, {
        "a.md": case_text("A-1", extra_meta="customer: Globex Corporation\n"),
        "b.md": case_text("B-2", title="Export fails with `E42`", problem="Export stops at 99%.", solution="1. Clear the cache.\n2. Export again."),
        "c.md": case_text("C-3", title="Login loops", problem="The login page reloads.", solution="1. Allow cookies for the site.\n2. Sign in."),
    })
    return root


def _check(root: Path, *extra: str) -> tuple[int, str]:
    result = kbgen("check", "-f", str(root / "mkdocs.yml"), *extra)
    return result.exit_code, result.output


def test_a_second_check_reuses_every_parse_and_verdict_and_says_the_same(tmp_path: Path, home: Path):
    root = _kb(tmp_path)
    first = _check(root)
    store = Store.for_project(root / "mkdocs.yml")
    assert store.path.parent == home and store.path.exists()
    kept = store.read()
    assert len(kept.files) == 3 and len(kept.checked) == 3
    written = store.path.stat().st_mtime_ns
    assert _check(root) == first
    assert store.path.stat().st_mtime_ns == written  # nothing parsed or checked anew, so nothing to keep
    # and the pipeline, handed the store, answers every file from it
    from kbgen import pipeline
    from kbgen.cli import open_config

    cfg, plugin = open_config(str(root / "mkdocs.yml"))
    pipeline.run(plugin.options(cfg), caches=kept)
    assert (kept.files.hits, kept.files.misses, kept.checked.hits, kept.checked.added) == (3, 0, 3, 0)


def test_an_edit_after_a_check_is_checked_again(tmp_path: Path, home: Path):
    root = _kb(tmp_path)
    assert _check(root)[0] == 0
    case = root / "content" / "cases" / "c.md"
    case.write_text(case.read_text().replace("Allow cookies for the site.", "Ask Globex Corporation to allow cookies."))
    code, out = _check(root)
    assert code == 1 and "c.md" in out and "names the customer 'Globex Corporation'" in out
    assert _check(root, "--no-cache") == (code, out)


def test_a_new_customer_elsewhere_makes_unchanged_files_stale(tmp_path: Path, home: Path):
    # c.md does not change, but once another file names Initech as its customer, c.md's text leaks it
    root = _kb(tmp_path)
    case = root / "content" / "cases" / "c.md"
    case.write_text(case.read_text().replace("Allow cookies for the site.", "Allow cookies for Initech Payroll."))
    assert _check(root)[0] == 0
    (root / "content" / "cases" / "d.md").write_text(case_text("D-4", title="Reports are empty", problem="No rows.",
                                                               solution="1. Pick a date range.", extra_meta="customer: Initech Payroll\n"))
    code, out = _check(root)
    assert code == 1 and "c.md" in out and "Initech Payroll" in out


def test_no_cache_neither_reads_nor_writes_a_store(tmp_path: Path, home: Path):
    root = _kb(tmp_path)
    _check(root, "--no-cache")
    assert not Store.for_project(root / "mkdocs.yml").path.exists()


def test_a_store_of_other_code_is_not_read(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch):
    root = _kb(tmp_path)
    _check(root)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: b"\x00" * 16)  # kbgen or a library upgraded
    assert len(Store.for_project(root / "mkdocs.yml").read().files) == 0


def test_a_damaged_or_foreign_store_is_ignored_and_never_runs_code(tmp_path: Path, home: Path):
    root = _kb(tmp_path)
    first = _check(root)
    store = Store.for_project(root / "mkdocs.yml")
    marker = tmp_path / "ran"

    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, (f"touch {marker}",))

    for payload in (b"", b"garbage", store.path.read_bytes()[:100],
                    cache._MAGIC + cache.code_fingerprint() + pickle.dumps({"files": Boom(), "checked": {}, "prepared": {}})):
        store.path.write_bytes(payload)
        assert len(Store.for_project(root / "mkdocs.yml").read().files) == 0
        assert _check(root) == first
    assert not marker.exists()


def test_dupes_from_the_store_equal_dupes_afresh(tmp_path: Path, home: Path):
    root = _kb(tmp_path)
    dup = root / "content" / "cases" / "a2.md"
    dup.write_text(case_text("A-9"))
    cold = kbgen("dupes", "--json", "-f", str(root / "mkdocs.yml")).output
    assert '"A-9"' in cold
    assert kbgen("dupes", "--json", "-f", str(root / "mkdocs.yml")).output == cold
    assert kbgen("dupes", "--json", "--no-cache", "-f", str(root / "mkdocs.yml")).output == cold
