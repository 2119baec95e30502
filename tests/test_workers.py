"""Reading and checking many case files in worker processes gives exactly what one process gives."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from kbgen import dedupe, load, validate, workers
from kbgen.cache import BoundedCache

ROOT = Path(__file__).resolve().parent.parent
needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this system")


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pools even for a handful of items, and fork though a test runner's idle thread may be alive."""
    monkeypatch.setattr(workers, "PARALLEL_FROM", 2)
    monkeypatch.setattr(workers, "fork_context", lambda: multiprocessing.get_context("fork"))


def _pid_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


@needs_fork
def test_fork_map_uses_other_processes_and_keeps_order(forked: None) -> None:
    out = workers.fork_map(_pid_square, list(range(500)), workers=2)
    assert [n for _, n in out] == [n * n for n in range(500)]
    assert {pid for pid, _ in out} - {os.getpid()}, "no item was computed in a worker process"


def test_fork_map_runs_here_when_few_items_or_one_worker() -> None:
    assert {pid for pid, _ in workers.fork_map(_pid_square, [1, 2, 3], workers=2)} == {os.getpid()}
    assert {pid for pid, _ in workers.fork_map(_pid_square, list(range(5000)), workers=1)} == {os.getpid()}


def _load_and_check(content: Path, jobs: int) -> tuple[object, ...]:
    raws, problems = load.load_cases(content / "cases", content, workers=jobs, cache=BoundedCache())
    rc, lines, rc_problems = load.load_root_causes(content / "root-causes.yml", content)
    checked = validate.validate(raws, rc, lines, "root-causes.yml", workers=jobs, cache=BoundedCache())
    found = dedupe.dedupe([c for c in checked.cases if c.public], workers=jobs)
    return (raws, problems, rc_problems, checked.cases, checked.rejected, checked.diagnostics, checked.root_causes,
            found.groups, found.near_misses)


@needs_fork
@pytest.mark.parametrize("content", [ROOT / "content", ROOT / "tests" / "hostile"], ids=["demo", "hostile"])
def test_parallel_load_and_checks_equal_one_process(forked: None, content: Path, tmp_path: Path) -> None:
    """Every case, verdict, problem (hostile files included) and merge is the same whether one process or two read them."""
    work = tmp_path / "kb"
    shutil.copytree(content, work, symlinks=True)
    one = _load_and_check(work, 1)
    two = _load_and_check(work, 2)
    assert repr(one) == repr(two)  # repr: a NaN read from YAML equals no other NaN, however it was computed
    assert one[3], "no case was valid: the comparison says nothing"
    if content.name == "content":
        assert any(len(g.members) > 1 for g in one[7]), "no demo case merged: the comparison says nothing"
    if content.name == "hostile":
        assert one[4], "no hostile file was rejected: the comparison says nothing"
