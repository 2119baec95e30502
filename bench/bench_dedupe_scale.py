"""Is dedupe linear? ``python bench/bench_dedupe_scale.py N [--shape huge|hard] [--before FILE]``.

Generates N, 2N and 4N cases (``bench/generate.py``; ``huge``, the default, is one problem whose
copies all differ a little: one linked component of about N distinct texts) and, for each size,
runs dedupe in a fresh process (so each peak is its own) and prints time, peak memory added by
dedupe, the largest component and block, groups, and pair precision/recall against the
generator's truth. ``--before FILE`` runs another version of ``kbgen/dedupe.py`` (for example
``git show main:kbgen/dedupe.py > /tmp/dedupe_before.py``) on the same cases in the same run, so
the ratios hold under whatever load the machine has.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dedupe import plain_read, same_group_pairs
from generate import generate_hard, generate_huge


def load_module(path: str | None) -> ModuleType:
    if not path:
        from kbgen import dedupe
        return dedupe
    spec = importlib.util.spec_from_file_location("kbgen._dedupe_other", path)  # relative imports resolve in kbgen
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def child(cases_dir: Path, module_path: str | None) -> None:
    module = load_module(module_path)
    cases = [c for c in plain_read(cases_dir / "cases") if c.public]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    result = module.dedupe(cases)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    truth = dict(line.split("\t") for line in (cases_dir / "truth.tsv").read_text().splitlines() if line)
    cells: dict[tuple[int, str], int] = {}
    for k, g in enumerate(result.groups):
        for m in g.members:
            cells[(k, truth[m])] = cells.get((k, truth[m]), 0) + 1
    sizes: dict[str, int] = {}
    for g in result.groups:
        for m in g.members:
            sizes[truth[m]] = sizes.get(truth[m], 0) + 1
    both = sum(n * (n - 1) // 2 for n in cells.values())
    wanted = sum(n * (n - 1) // 2 for n in sizes.values())
    found = same_group_pairs(result.groups)
    print(json.dumps({"seconds": seconds, "mb": after - before, "cases": len(cases), "groups": len(result.groups),
                      "precision": both / max(found, 1), "recall": both / max(wanted, 1),
                      "lowest": min(g.score for g in result.groups), **result.work,
                      "digest": digest(result)}))


def digest(result: object) -> str:
    """The same before and after: identical groups, scores, reasons and near misses. Scores are rounded:
    word weights are summed in set order, which differs between processes in the last bits."""
    groups = [(g.canonical, g.best, g.members, round(g.score, 6), [(a, b, round(s, 6), why) for a, b, s, why in g.reasons])
              for g in result.groups]  # type: ignore[attr-defined]
    near = [(m.a, m.b, round(m.score, 6), m.why) for m in result.near_misses]  # type: ignore[attr-defined]
    return hashlib.sha256(repr((groups, near)).encode()).hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--shape", choices=["huge", "hard"], default="huge")
    parser.add_argument("--before", help="another dedupe.py to run on the same cases")
    parser.add_argument("--sizes", type=int, default=3, help="how many doublings: N, 2N, 4N by default")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--module", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.module)
        return
    versions = [("after", None)] + ([("before", args.before)] if args.before else [])
    for n in [args.n * 2**k for k in range(args.sizes)]:
        out = Path(f"/tmp/kbgen-bench/{args.shape}-{n}")
        if sum(1 for _ in (out / "cases").rglob("*.md")) != n:
            (generate_huge if args.shape == "huge" else generate_hard)(n, out)
        for label, path in versions:
            command = [sys.executable, __file__, str(n), "--child", str(out)] + (["--module", path] if path else [])
            run = subprocess.run(command, capture_output=True, text=True, check=False)
            if run.returncode:
                print(f"{n:>7} {label:<6} failed: {run.stderr.strip().splitlines()[-1:]}", flush=True)
                continue
            r = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"{n:>7} {label:<6} {r['seconds']:7.2f} s  +{r['mb']:5.0f} MB  texts {r['texts']:>6}  "
                  f"largest component {r['largest_component_texts']:>6}  block {r.get('largest_block_texts', '-'):>5}  "
                  f"groups {r['groups']:>5}  precision {r['precision']:.3f}  recall {r['recall']:.3f}  "
                  f"lowest {r['lowest']:.1f}  digest {r['digest']}", flush=True)


if __name__ == "__main__":
    main()
