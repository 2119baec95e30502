"""What `kbgen serve` does after an agent edits one case: rebuild in the same process, caches warm.

    python bench/bench_rebuild.py 10000

Times, in one process: a cold pipeline run, a warm run after editing one case (parsed
files and dedupe scores come from one explicit ``Caches`` object), then the builds serve
runs: the first (every page written), one after an edit as `kbgen serve` does it (a dirty
build: the plugin keeps its caches and MkDocs rewrites only the pages the edit changed),
and for reference a full clean build after an edit. The edit-to-browser time is the
dirty build plus the livereload poll (under 1 s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config

from kbgen import pipeline
from kbgen.cache import Caches

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_build import KB_YML  # noqa: E402


def edit_one(cases: Path) -> None:
    victim = sorted(cases.rglob("*.md"))[len(list(cases.rglob("*.md"))) // 2]
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace("## Solution\n", "## Solution\nFirst check that you run the latest version.\n", 1), encoding="utf-8")


def timed(label: str, fn) -> None:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    print(f"{label:<48}{time.perf_counter() - t:>8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    n = parser.parse_args().n
    work = Path(tempfile.mkdtemp(prefix=f"kbgen-rebuild-{n}-"))
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(n), str(work)], check=True, stdout=subprocess.DEVNULL)
    (work / "pages").mkdir()
    (work / "pages" / "about.md").write_text("# About\n")
    (work / "mkdocs.yml").write_text(KB_YML.format(site=work / "site"))
    os.environ["CI"] = "1"

    caches = Caches()

    def run_pipeline() -> None:
        cfg = load_config(str(work / "mkdocs.yml"))
        plugin = cfg.plugins["kbgen"]
        pipeline.run(plugin.options(cfg), caches=caches)  # type: ignore[attr-defined]

    first = load_config(str(work / "mkdocs.yml"))
    first.plugins.on_startup(command="serve", dirty=True)  # what `kbgen serve` does once, before its first build
    plugin = first.plugins["kbgen"]

    def run_build(dirty: bool = False) -> None:
        # load_config hands back the same plugin instance each time (it defines on_startup), as in serve
        build(load_config(str(work / "mkdocs.yml")), dirty=dirty)

    def index() -> None:
        plugin.wait_for_index()  # type: ignore[attr-defined]

    print(f"N={n:,} cases in {work}")
    timed("pipeline, cold", run_pipeline)  # its own Caches, so the builds below start cold
    edit_one(work / "cases")
    timed("pipeline after a one-case edit (warm caches)", run_pipeline)
    timed("first build (every page written)", run_build)
    timed("  then its search index (Pagefind, in the background)", index)
    edit_one(work / "cases")
    timed("serve's rebuild after a one-case edit (dirty)", lambda: run_build(dirty=True))
    timed("  then its search index (Pagefind, in the background)", index)
    edit_one(work / "cases")
    timed("full clean build after a one-case edit, warm", run_build)
    index()


if __name__ == "__main__":
    main()
