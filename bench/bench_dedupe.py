"""Time the dedupe stage against reading the files: ``python bench/bench_dedupe.py N [--dir DIR]``.

Generates N cases with bench/generate.py in the hard shape (or reuses DIR if it holds N), then prints:
- pair precision and recall against the generator's truth (truth.tsv: which problem each case copies),
  groups that mix problems, and how many articles the largest problem ends up in;
- read+parse time: kbgen's own load + validate, and a plain CSafeLoader reader as the floor;
- dedupe time and its ratio to both (target: at most 3x read+parse at 100k);
- the whole command, `kbgen dupes --json` in a new process (worker processes included, as a user runs
  it), its time against the floor, its CPU time (every process), its peak memory (the largest process:
  the parent or one worker) and a digest of what it prints (the same whenever the groups, scores and near
  misses are): afresh (`--no-cache`), then twice with a store of its own (the first run writes it, the
  second reads it); ``--rounds N`` runs these N times, each after reading the floor again (the machine's
  load moves), and ``--whole-only`` skips the stages timed in this process;
- for N up to --exhaustive-max, the exhaustive reference (every pair in a product scored
  with the same score_pair and clustered the same way): the share of its same-group pairs
  that the fast path also groups together, and pairs the fast path groups that it does not;
- peak resident memory of the process, before and after dedupe.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate, generate_hard

from kbgen import dedupe, workers
from kbgen.cache import Caches
from kbgen.dedupe import DedupeResult
from kbgen.models import Case, Group, Section


def plain_read(cases_dir: Path) -> list[Case]:
    """The floor: read every file, parse front matter with the C loader, split sections. No checks."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    cases = []
    for path in sorted(cases_dir.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.load(front, Loader=loader)
        sections: list[Section] = []
        title: str | None = None
        lines: list[str] = []
        for line in body.splitlines():
            if line.startswith("## "):
                if title is not None:
                    sections.append(Section(title, "\n".join(lines).strip(), 1))
                title, lines = line[3:].strip(), []
            else:
                lines.append(line)
        if title is not None:
            sections.append(Section(title, "\n".join(lines).strip(), 1))
        resolved = meta["resolved"] if isinstance(meta["resolved"], date) else date.fromisoformat(str(meta["resolved"]))
        cases.append(Case(id=str(meta["id"]), title=str(meta["title"]), product=str(meta["product"]), resolved=resolved,
                          path=str(path), sections=tuple(s for s in sections if s.key != "internal notes"),
                          visibility=str(meta.get("visibility", "public"))))
    return cases


def kbgen_read(out: Path, jobs: int = 1) -> list[Case] | None:
    """kbgen's own load + validate in ``jobs`` processes, as the pipeline runs them (one pass: each file read,
    parsed and checked in one worker process): the workers also normalise each valid case's texts for dedupe,
    which are put in :data:`PREPARED` for it."""
    try:
        from kbgen import load, validate
        from kbgen.cache import BoundedCache
    except ImportError:
        return None
    rc_data, rc_lines, _ = load.load_root_causes(out / "root-causes.yml", out)
    _, checked = validate.check(load.case_files(out / "cases"), load.reader(out, BoundedCache(), False),
                                lambda: (rc_data, rc_lines, "root-causes.yml"), workers=jobs, then=dedupe.prepare)
    for case in checked.cases:
        if case.path in checked.extra:
            PREPARED.prepared.put(dedupe.text_key(case), checked.extra[case.path])
    return checked.cases


PREPARED = Caches()
"""Dedupe's normalised texts from :func:`kbgen_read` (empty when the plain reader's cases are deduplicated)."""


DUPES_YML = """site_name: Bench dupes
docs_dir: pages
theme:
  name: material
plugins:
  - kbgen:
      cases_dir: cases
      root_causes: root-causes.yml
      as_of: "2026-11-20"
"""

MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    code = subprocess.call(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
seconds = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def whole_command(out: Path, *extra: str) -> tuple[float, float, float, str]:
    """Seconds, peak MB, CPU seconds (every process) and a digest of the output of `kbgen dupes --json` on the
    folder, run as a user runs it. The digest is the same whenever the groups, scores and near misses are."""
    (out / "mkdocs.yml").write_text(DUPES_YML)
    (out / "pages").mkdir(exist_ok=True)
    kbgen = str(Path(sys.executable).with_name("kbgen"))
    with tempfile.TemporaryDirectory() as tmp:
        printed = Path(tmp) / "dupes.json"
        cmd = [kbgen, "dupes", "--json", *extra, "-f", str(out / "mkdocs.yml")]
        run = subprocess.run([sys.executable, "-c", MEASURE, str(printed), *cmd], cwd=out, capture_output=True, text=True,
                             check=True)
        code, seconds, rss_kb, cpu = run.stdout.split()
        if int(code) != 0:
            raise SystemExit(f"kbgen dupes failed with exit code {code}")
        digest = hashlib.sha256(printed.read_bytes()).hexdigest()[:16]
    return float(seconds), int(rss_kb) / 1024, float(cpu), digest


def same_group_pairs(groups: Sequence[Group]) -> int:
    return sum(len(g.members) * (len(g.members) - 1) // 2 for g in groups)


def shared_pairs(a: Sequence[Group], b: Sequence[Group]) -> int:
    """Pairs of cases that are in one group in ``a`` and in one group in ``b``."""
    where = {m: k for k, g in enumerate(b) for m in g.members}
    cells = Counter((k, where[m]) for k, g in enumerate(a) for m in g.members)
    return sum(n * (n - 1) // 2 for n in cells.values())


def truth_scores(groups: Sequence[Group], truth_file: Path) -> None:
    """Pair precision/recall of the groups against the generator's problems, linear in the cases."""
    problem = dict(line.split("\t") for line in truth_file.read_text(encoding="utf-8").splitlines() if line)
    members = [m for g in groups for m in g.members]
    true_sizes = Counter(problem[m] for m in members)
    cells = Counter((k, problem[m]) for k, g in enumerate(groups) for m in g.members)
    both = sum(n * (n - 1) // 2 for n in cells.values())
    found = same_group_pairs(groups)
    wanted = sum(n * (n - 1) // 2 for n in true_sizes.values())
    mixed = sum(1 for g in groups if len({problem[m] for m in g.members}) > 1)
    top, size = true_sizes.most_common(1)[0]
    articles = sum(1 for (_, p) in cells if p == top)
    print(f"pair precision {both / max(found, 1):.4f}, pair recall {both / max(wanted, 1):.4f} "
          f"({both} of {wanted} true pairs, {found} merged); groups mixing problems: {mixed} of {len(groups)}")
    print(f"largest problem: {size} public cases in {articles} article(s)")


def timed(label: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds:8.2f} s", flush=True)
    return value, seconds


def in_process(args: argparse.Namespace, out: Path, plain: list[Case], plain_s: float) -> tuple[list[Case], DedupeResult]:
    """kbgen's load + validate and dedupe timed here, with precision and recall against the truth; the public
    cases and what dedupe made of them."""
    checked, kbgen_s = (None, 0.0) if args.plain else timed(f"read+parse (kbgen load+validate, {args.workers} processes)",
                                                             kbgen_read, out, args.workers)
    cases = [c for c in (checked if checked is not None else plain) if c.public]
    print(f"public cases: {len(cases)}")

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fast, dedupe_s = timed("dedupe", dedupe.dedupe, cases, args.threshold, workers=args.workers, cache=PREPARED)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {before:.0f} MB with the cases read, {after:.0f} MB after dedupe (+{after - before:.0f} MB)")
    merged = [g for g in fast.groups if len(g.members) > 1]
    print(f"groups: {len(fast.groups)} ({len(merged)} of 2+ cases, largest {max(len(g.members) for g in fast.groups)}), "
          f"near misses: {len(fast.near_misses)}")
    print("work: " + ", ".join(f"{k} {v:,}" for k, v in fast.work.items()))
    if (out / "truth.tsv").exists():
        truth_scores(fast.groups, out / "truth.tsv")
    print(f"dedupe / read+parse: {dedupe_s / plain_s:.2f}x plain, "
          + (f"{dedupe_s / kbgen_s:.2f}x kbgen" if checked is not None else "kbgen load not available"))
    if checked is not None:
        print(f"kbgen load + validate + dedupe / plain read+parse: {(kbgen_s + dedupe_s) / plain_s:.2f}x")
    return cases, fast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--dir", type=Path, help="default: /tmp/kbgen-bench/N")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=dedupe.DEFAULT_THRESHOLD)
    parser.add_argument("--exhaustive-max", type=int, default=5000)
    parser.add_argument("--plain", action="store_true", help="skip kbgen's own load+validate (slow at 100k)")
    parser.add_argument("--shape", choices=["hard", "default"], default="hard", help="bench/generate.py's shape")
    parser.add_argument("--workers", type=int, default=workers.count(), help="processes (default: the cores, as kbgen uses)")
    parser.add_argument("--rounds", type=int, default=1, help="times the whole command is run (three ways), each after the floor")
    parser.add_argument("--whole-only", action="store_true", help="only the floor and the whole command (skip the in-process stages)")
    args = parser.parse_args()
    out = args.dir or Path(f"/tmp/kbgen-bench/{args.shape}-{args.n}")
    if sum(1 for _ in (out / "cases").rglob("*.md")) != args.n:
        make = generate_hard if args.shape == "hard" else generate
        timed(f"generate {args.n} cases ({args.shape})", make, args.n, out, args.seed)

    for path in (out / "cases").rglob("*.md"):  # files in the page cache first: a cold floor made the command look 1.6x faster
        path.read_bytes()
    plain, plain_s = timed("read+parse (plain CSafeLoader)", plain_read, out / "cases")
    if not args.whole_only:  # precision and recall, and each stage in this process
        cases, fast = in_process(args, out, plain, plain_s)
    if not args.plain:
        for run in range(args.rounds):  # the floor again before each round: the machine's load moves
            if run:
                _, plain_s = timed("read+parse (plain CSafeLoader)", plain_read, out / "cases")
            seconds, peak, cpu, digest = whole_command(out, "--no-cache")
            print(f"whole command `kbgen dupes --json --no-cache`: {seconds:.2f} s ({cpu:.1f} s CPU), peak {peak:.0f} MB; "
                  f"{seconds / plain_s:.2f}x plain read+parse; output digest {digest}", flush=True)
            with tempfile.TemporaryDirectory() as home:  # the store of parses and verdicts, as a second run finds it
                os.environ["KBGEN_CACHE_DIR"] = home
                for which in ("first run, keeping its store", "second run, from the store"):
                    seconds, peak, cpu, digest = whole_command(out)
                    print(f"whole command `kbgen dupes --json`, {which}: {seconds:.2f} s ({cpu:.1f} s CPU), peak {peak:.0f} MB; "
                          f"{seconds / plain_s:.2f}x plain read+parse; output digest {digest}", flush=True)
                del os.environ["KBGEN_CACHE_DIR"]
    if not args.whole_only and len(cases) <= args.exhaustive_max:
        full, _ = timed("dedupe, exhaustive", dedupe.dedupe, cases, args.threshold, exhaustive=True)
        wanted, found = same_group_pairs(full.groups), same_group_pairs(fast.groups)
        both = shared_pairs(full.groups, fast.groups)
        print(f"same-group pairs: exhaustive {wanted}, fast {found}; recall {both / max(wanted, 1):.4f}, "
              f"grouped by fast but not by exhaustive: {found - both}")
        print(f"identical groups: {fast.groups == full.groups}")
        if (out / "truth.tsv").exists():
            truth_scores(full.groups, out / "truth.tsv")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
