"""The store `kbgen check`, `dupes` and `top` keep between runs: faster, never different, never trusted blindly."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# ------------------------------------------------------------ property: from the store == afresh


_PROBLEMS = ["Sync stops after a password change.", "Export stops at 99% for Globex Corporation.", "The page reloads."]
_SOLUTIONS = ["1. Sign out.\n2. Sign in again.", "1. Set the token to ghp_" + "a1B2" * 9 + ".", "1. Write to ann@example.com.",
              "1. Clear the cache.\n\n## Internal notes\n\nCall Initech Payroll back."]
_CUSTOMERS = ["", "customer: Globex Corporation\n", "customer: Initech Payroll\n"]
_ROOT_CAUSES = ["", "RC-1:\n  title: Token expiry\n  kind: defect\n  status: open\n"]
_edit = st.tuples(st.integers(0, 3), st.sampled_from(_PROBLEMS), st.sampled_from(_SOLUTIONS), st.sampled_from(_CUSTOMERS),
                  st.sampled_from(["", "root_cause: RC-1\n"]))


def _write(root: Path, files: dict[int, tuple[str, str, str, str]], root_causes: str) -> None:
    cases = root / "content" / "cases"
    for old in cases.glob("*.md"):
        old.unlink()
    for n, (problem, solution, customer, rc) in files.items():
        (cases / f"c{n}.md").write_text(case_text(f"C-{n}", title=f"Case {n} fails", problem=problem, solution=solution,
                                                  extra_meta=customer + rc))
    (root / "content" / "root-causes.yml").write_text(root_causes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(_edit, min_size=1, max_size=4), change=st.one_of(_edit, st.integers(0, 3), st.sampled_from(_ROOT_CAUSES)),
       rc=st.sampled_from(_ROOT_CAUSES))
def test_any_edit_checked_from_the_store_says_what_a_fresh_check_says(tmp_path_factory: pytest.TempPathFactory, first: list,
                                                                      change: object, rc: str):
    # one check keeps its store; then one file is edited or added (its customer too), or removed, or the
    # root causes change; the next check, from the store, must say exactly what a fresh one says
    base = tmp_path_factory.mktemp("kb")
    root = base / "kb"
    write_kb(root, {})
    old = os.environ["KBGEN_CACHE_DIR"]
    os.environ["KBGEN_CACHE_DIR"] = str(base / "home")
    try:
        files = {n: tuple(rest) for n, *rest in first}
        _write(root, files, rc)
        assert _check(root) == _check(root, "--no-cache")
        if isinstance(change, tuple):
            files[change[0]] = change[1:]
        elif isinstance(change, int):
            files.pop(change, None)
        else:
            rc = str(change)
        _write(root, files, rc)
        assert _check(root) == _check(root, "--no-cache")
        assert Store.for_project(root / "mkdocs.yml").path.exists()
    finally:
        os.environ["KBGEN_CACHE_DIR"] = old


def test_a_cache_folder_that_cannot_be_written_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = _kb(tmp_path)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("KBGEN_CACHE_DIR", str(blocked / "kbgen"))
    assert _check(root) == _check(root, "--no-cache")
    assert list(tmp_path.glob("**/.tmp-*")) == []
