"""Build time, memory, site size and page weight of `kbgen build` against a plain `mkdocs build`.

    python bench/bench_build.py 1000 10000

For each N: generate N cases (bench/generate.py), build them with kbgen, and build
the same cases as plain Markdown pages with mkdocs-material and its search plugin,
pages out of the nav (the baseline DESIGN.md measured), taking turns (``--rounds``)
and keeping each one's best time. Prints one table row per builder and the ratio.
Run by hand; the numbers go into the issue notes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(code, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""

KB_YML = """site_name: Bench KB
docs_dir: pages
site_dir: {site}
theme:
  name: material
plugins:
  - search
  - kbgen:
      cases_dir: cases
      root_causes: root-causes.yml
      as_of: "2026-11-20"
markdown_extensions: [admonition, tables, pymdownx.highlight, pymdownx.superfences]
"""

PLAIN_YML = """site_name: Bench plain
docs_dir: docs
site_dir: {site}
theme:
  name: material
plugins:
  - search
not_in_nav: |
  /kb/
markdown_extensions: [admonition, tables, pymdownx.highlight, pymdownx.superfences]
"""


def measure(cmd: list[str], cwd: Path) -> tuple[int, float, int]:
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    code, seconds, rss_kb = out.stdout.split()
    return int(code), float(seconds), int(rss_kb)


def site_stats(site: Path) -> dict[str, float]:
    files = [p for p in site.rglob("*") if p.is_file()]
    articles = [p for p in (site / "kb").rglob("index.html")] if (site / "kb").exists() else []
    browse = [p for p in site.rglob("index.html") if p.parts[len(site.parts)] in ("products", "browse")]
    index = site / "search" / "search_index.json"
    pagefind = site / "pagefind"
    return {
        "files": len(files),
        "site_mb": sum(p.stat().st_size for p in files) / 1e6,
        "largest_article_kb": max((p.stat().st_size for p in articles), default=0) / 1e3,
        "largest_browse_kb": max((p.stat().st_size for p in browse), default=0) / 1e3,
        "search_index_mb": index.stat().st_size / 1e6 if index.exists() else 0.0,
        "pagefind_mb": sum(p.stat().st_size for p in pagefind.rglob("*") if p.is_file()) / 1e6 if pagefind.exists() else 0.0,
    }


def plain_pages(work: Path, docs: Path) -> int:
    """The same case texts as plain pages: one page per case, as a naive site would publish them."""
    (docs / "kb").mkdir(parents=True)
    (docs / "index.md").write_text("# Plain\n")
    n = 0
    for case in sorted((work / "cases").rglob("*.md")):
        text = case.read_text(encoding="utf-8")
        front, body = text.split("---\n", 2)[1:]
        title = next(line.split(":", 1)[1].strip() for line in front.splitlines() if line.startswith("title:"))
        (docs / "kb" / f"{case.stem.lower()}.md").write_text(f"---\ntitle: {title}\n---\n\n# {title.strip(chr(34))}\n\n{body}")
        n += 1
    return n


def bench(n: int, keep: bool, distinct: bool, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"kbgen-bench-{n}-"))
    extra = ["--distinct"] if distinct else []
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(n), str(work), *extra], check=True, stdout=subprocess.DEVNULL)
    (work / "pages").mkdir()
    (work / "pages" / "about.md").write_text("# About\n")
    (work / "mkdocs.yml").write_text(KB_YML.format(site=work / "site"))
    kbgen = str(Path(sys.executable).with_name("kbgen"))
    os.environ["CI"] = "1"  # no progress line
    plain = work / "plain"
    pages = plain_pages(work, plain / "docs")
    (plain / "mkdocs.yml").write_text(PLAIN_YML.format(site=plain / "site"))
    mkdocs = str(Path(sys.executable).with_name("mkdocs"))
    kb_runs: list[float] = []
    plain_runs: list[float] = []
    codes: set[int] = set()
    kb_rss = plain_rss = 0
    # The machine is shared: the two builds take turns (the order swapped each round) and each keeps its best
    # time, so a burst of other load does not land on one side only.
    for r in range(rounds):
        for which in (("kbgen", "plain") if r % 2 == 0 else ("plain", "kbgen")):
            if which == "kbgen":
                shutil.rmtree(work / "site", ignore_errors=True)  # a first build: no old site to swap out
                code, seconds, rss = measure([kbgen, "build", "-f", str(work / "mkdocs.yml")], work)
                kb_runs.append(seconds)
                kb_rss = max(kb_rss, rss)
            else:
                shutil.rmtree(plain / "site", ignore_errors=True)
                code, seconds, rss = measure([mkdocs, "build", "-f", str(plain / "mkdocs.yml")], plain)
                plain_runs.append(seconds)
                plain_rss = max(plain_rss, rss)
            codes.add(code)
    kb_s, plain_s = min(kb_runs), min(plain_runs)
    kb = site_stats(work / "site")
    ps = site_stats(plain / "site")
    articles = len(json.loads((work / "site" / "api" / "articles.json").read_text())["articles"])
    print(f"\nN={n:,} cases -> {articles:,} kbgen articles; plain site: {pages:,} pages (exit codes {sorted(codes)})")
    print(f"{'build':<14}{'wall s':>8}{'peak MB':>9}{'site MB':>9}{'files':>8}{'max article KB':>16}{'max browse KB':>15}{'search MB':>11}{'pagefind MB':>13}")
    for name, s, rss, st in (("kbgen", kb_s, kb_rss, kb), ("plain mkdocs", plain_s, plain_rss, ps)):
        print(f"{name:<14}{s:>8.1f}{rss / 1024:>9.0f}{st['site_mb']:>9.1f}{st['files']:>8}{st['largest_article_kb']:>16.1f}"
              f"{st['largest_browse_kb']:>15.1f}{st['search_index_mb']:>11.2f}{st['pagefind_mb']:>13.2f}")
    print(f"kbgen / plain: {kb_s / plain_s:.2f}x (best of {rounds}; every run, kbgen: {', '.join(f'{t:.1f}' for t in kb_runs)} s, "
          f"plain: {', '.join(f'{t:.1f}' for t in plain_runs)} s); bench dir {work}")
    if not keep:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    parser.add_argument("--distinct", action="store_true", help="one problem per case, so N cases make about N articles")
    parser.add_argument("--rounds", type=int, default=2, help="builds of each, taking turns; the best time of each counts")
    args = parser.parse_args()
    for n in args.sizes:
        bench(n, args.keep, args.distinct, args.rounds)


if __name__ == "__main__":
    main()
