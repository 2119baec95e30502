"""Deploy (issue 10, class 9): no moment without a site, a symlinked site stays a link, killed builds are cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from kbgen import deploy
from tests.conftest import kbgen
from tests.kb import case_text, write_kb


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_symlinked_site_stays_a_link_and_its_target_serves_the_new_build(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("CASE-A")})
    webroot = tmp_path / "www" / "kb"
    webroot.mkdir(parents=True)
    (webroot / "stale.html").write_text("old")
    (tmp_path / "site").symlink_to(webroot)
    result = kbgen("build", "--strict", "-f", str(config))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site").is_symlink() and (tmp_path / "site").resolve() == webroot
    assert (webroot / "kb" / "case-a" / "index.html").is_file() and not (webroot / "stale.html").exists()
    (tmp_path / "content" / "cases" / "b.md").write_text(case_text("CASE-B", title="Printing fails with `E42`", solution="1. Reinstall the driver."))
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    assert (webroot / "kb" / "case-b" / "index.html").is_file()
    assert (tmp_path / "site").is_symlink()
    assert [p.name for p in (tmp_path / "www").iterdir()] == ["kb"]  # no temporary folder left beside the web root


def test_a_killed_builds_leftovers_are_removed_by_the_next_build_but_a_running_ones_are_not(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("CASE-A")})
    dead = tmp_path / f".site.build-{dead_pid()}-x1y2z3"
    (dead / "kb").mkdir(parents=True)
    aside = tmp_path / f".site.old-{dead_pid()}-abc"
    aside.mkdir()
    running = tmp_path / f".site.build-{os.getppid()}-busy"  # our parent process is alive
    running.mkdir()
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    assert not dead.exists() and not aside.exists()
    assert running.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == [running.name]


def test_the_old_site_is_byte_identical_after_a_failed_build(tmp_path: Path):
    config = write_kb(tmp_path, {"a.md": case_text("CASE-A")})
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    before = tree(tmp_path / "site")
    (tmp_path / "content" / "cases" / "b.md").write_text(case_text("CASE-B", extra_meta="root_casue: RC-1\n"))
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 1
    assert tree(tmp_path / "site") == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_the_site_never_disappears_during_a_swap(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("0")
    missing: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if not (site / "index.html").exists():
                missing.append(1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(1, 60):
            built = deploy.prepare(site)
            (built / "index.html").write_text(str(n))
            deploy.publish(built, site)
    finally:
        done.set()
        watcher.join()
    assert (site / "index.html").read_text() == "59"
    assert missing == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_fallback_without_exchange_still_replaces_the_site(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "old.html").write_text("old")
    monkeypatch.setattr(deploy, "exchange", lambda a, b: False)  # as on macOS or a file system without RENAME_EXCHANGE
    built = deploy.prepare(site)
    (built / "new.html").write_text("new")
    deploy.publish(built, site)
    assert tree(site) == {"new.html": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
