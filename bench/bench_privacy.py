"""Time the secret and contact scan over N generated cases: ``python bench/bench_privacy.py N [--dir DIR] [--sample S]``.

Generates N cases with bench/generate.py (or reuses DIR if it holds N) and prints, in one run:
- kbgen's ``privacy.scan`` over every public text of every case, as validation runs it (target: 10,000 cases in a
  second or two);
- the reference: detect-secrets' own engine (``scan_line`` with its default plugins, entropy and keyword
  detectors included) over the lines of the first S cases, and the ratio per case;
- how many secret findings each made (generated cases hold none: every finding is a false positive).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from kbgen import load, privacy


def texts_of(cases_dir: Path) -> list[list[str]]:
    """Per case, the texts validation scans: published fields, then each public section."""
    out: list[list[str]] = []
    for path in load.iter_case_files(cases_dir):
        raw, _ = load.read_case(path.read_bytes(), str(path))
        if raw is None:
            continue
        fields = [str(raw.meta.get(k, "")) for k in ("title", "product", "component")]
        out.append(fields + [s.title + "\n" + s.body for s in raw.sections if not s.internal])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--sample", type=int, default=500, help="cases scanned with detect-secrets' engine (it is slow)")
    args = ap.parse_args()
    folder = args.dir or Path(f"/tmp/kbgen-bench-privacy-{args.n}")
    if not (folder / "cases").is_dir() or sum(1 for _ in (folder / "cases").rglob("*.md")) != args.n:
        generate(args.n, folder)
    cases = texts_of(folder / "cases")
    size = sum(len(t) for c in cases for t in c)
    privacy.secret_rules()  # built once per process; not part of the per-case cost

    start = time.perf_counter()
    ours = sum(1 for c in cases for t in c for f in privacy.scan(t) if f.secret)
    own = time.perf_counter() - start
    print(f"kbgen privacy.scan: {len(cases):,} cases, {size / 1e6:.1f} MB of text in {own:.2f} s "
          f"({own / len(cases) * 1e6:.0f} us a case); {ours} secret findings")

    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    sample = cases[: args.sample]
    start = time.perf_counter()
    theirs = 0
    with default_settings():
        for c in sample:
            for t in c:
                for line in t.split("\n"):
                    theirs += sum(1 for _ in scan_line(line))
    ref = time.perf_counter() - start
    per_case_ref = ref / len(sample)
    print(f"detect-secrets scan_line (default plugins): {len(sample):,} cases in {ref:.2f} s "
          f"({per_case_ref * 1e6:.0f} us a case, {per_case_ref * len(cases):.1f} s for all {len(cases):,}); "
          f"{theirs} findings in the sample")
    print(f"ratio: detect-secrets' engine / kbgen = {per_case_ref / (own / len(cases)):.1f}x")


if __name__ == "__main__":
    main()
