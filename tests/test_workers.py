"""Reading and checking many case files in worker processes gives exactly what one process gives."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from kbgen import dedupe, load, pipeline, validate, workers
from kbgen.cache import BoundedCache, Caches

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


def _first(n: int) -> tuple[int, tuple[int, int]]:
    return n % 7, (os.getpid(), n)


def _second(kept: tuple[int, int], total: int) -> tuple[int, int, int]:
    pid, n = kept
    return pid, os.getpid(), n * total


@needs_fork
def test_fork_two_checks_each_item_where_its_first_pass_kept_it(forked: None) -> None:
    """The second pass sees what every first pass found (here their sum) and runs where each item's first pass did."""
    items = list(range(3000))
    firsts, total, seconds = workers.fork_two(_first, items, sum, _second, workers=2)
    assert firsts == [n % 7 for n in items] and total == sum(n % 7 for n in items)
    assert [n for _, _, n in seconds] == [n * total for n in items]
    assert all(made == checked for made, checked, _ in seconds), "an item was checked in another process than it was read"
    assert {made for made, _, _ in seconds} - {os.getpid()}, "no item was read in a worker process"
    here = workers.fork_two(_first, items, sum, _second, workers=1)
    assert (here[0], here[1], [n for _, _, n in here[2]]) == (firsts, total, [n for _, _, n in seconds])


def _fails(n: int) -> tuple[int, int]:
    if n == 1234:
        raise ValueError("file 1234 is broken")
    return n, n


@needs_fork
def test_a_failing_worker_fails_the_call_with_its_traceback(forked: None) -> None:
    with pytest.raises(RuntimeError, match="file 1234 is broken"):
        workers.fork_two(_fails, list(range(3000)), len, lambda kept, c: kept, workers=2)


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


def _pipeline(content: Path, jobs: int, caches: Caches | None = None) -> tuple[object, ...]:
    options = pipeline.Options(cases_dir=content / "cases", root_causes=content / "root-causes.yml", root=content, workers=jobs)
    result = pipeline.run(options, caches=caches)
    return (result.cases, result.diagnostics, result.outcomes, result.groups, result.near_misses, result.articles,
            result.team_articles, result.root_causes)


@needs_fork
@pytest.mark.parametrize("content", [ROOT / "content", ROOT / "tests" / "hostile"], ids=["demo", "hostile"])
def test_the_pipeline_reading_and_checking_in_two_processes_equals_one(forked: None, content: Path, tmp_path: Path) -> None:
    """The pipeline reads, parses and checks each file in one worker process: every outcome, problem and article is
    what one process makes, with caches kept between runs (as `kbgen serve` keeps them) and without."""
    work = tmp_path / "kb"
    shutil.copytree(content, work, symlinks=True)
    one = _pipeline(work, 1)
    assert repr(_pipeline(work, 2)) == repr(one)
    kept = Caches()
    cases = _pipeline(work, 2, kept)
    assert repr(cases) == repr(one)
    # what is kept (and stored) holds each section once: a case checked in a worker shares its parse's sections
    parses = {raw.path: raw for raw, _ in kept.files._data.values() if raw is not None}
    assert all(any(s is t for t in parses[c.path].sections) for c in cases[0] for s in (*c.sections, *c.notes))
    assert repr(_pipeline(work, 2, kept)) == repr(one)  # from the caches: parses and verdicts the workers did not make
    assert kept.files.hits and kept.checked.hits, "the second run found nothing in the caches: it says nothing"
    assert one[2] and (content.name == "content" or one[1]), "no outcome, or no problem in the hostile files: the comparison says nothing"
