"""Rank quality and speed of ``kbgen similar``: ``python bench/bench_similar.py [--n 10000] [--data FILE] [--speed-only] [--runs 11] [--before REF]``.

Quality, in one run, recall@1, recall@3 and MRR (and, on the support set, how many articles are listed on
average for its exact error messages, at the default ``--limit 10``) of:

- ``kbgen similar``: this version as installed (``kbgen.similar.Index``, tail cut included: what the command
  lists), by meaning too when the model package is installed (``kbgen.semantic.available()``);
- ``bm25s (title + problem)``: plain BM25 (bm25s, English stop words) over each article's case titles and problems;
- ``kbgen similar before``: the ranking before issue 12 (``bench/similar_before.py``);
- ``kbgen similar --no-semantic``: the word ranking alone;
- ``meaning: ...``: other ways to use the article vectors (:func:`meaning_variant`), with the model installed;

on two sets: the dev half of the real AskUbuntu duplicates (``bench/askubuntu.py``: each question an
article, each question of a duplicate pair a draft whose answer is the other; the draft's own article is
left out), and the project's support-style paraphrases (``tests/data/similar_queries.yml``, read as data).
Then what each part of the word ranking earns (one switched off at a time). Article vectors are kept between
runs in a temporary folder (:data:`VECTORS`), by text and model.

Speed: a knowledge base of N generated cases (``bench/generate.py --distinct``: about N articles) is
written to a temporary folder; ``kbgen similar`` is run as a command (first call builds and saves the
index, embedding every article; later calls load it). Whole commands (a new Python each run, with its bytecode
cache as an install has it: ``"TEXT"``, ``"TEXT" --json``, ``"TEXT" --json --no-semantic``, ``FILE`` and
``FILE --json``; and two without bytecode) are timed ``--runs`` times, interleaved with ``python -c pass``,
``kbgen --version`` and, with ``--before GIT_REF``, the same commands of kbgen at that commit (on a copy of the
knowledge base, its first call timed too), and reported as min / median. Then in-process (content hash + index
load + query; pipeline, word index, article vectors kept by text and all embedded), once more after the top
result's case file was deleted (a stale index must not be used: it is rebuilt), and after one case's problem
was edited (one article embedded).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import askubuntu  # noqa: E402
import similar_before  # noqa: E402
import yaml  # noqa: E402
from generate import generate  # noqa: E402

from kbgen import similar  # noqa: E402
from kbgen.models import Article, Case, Section  # noqa: E402

SUPPORT = HERE.parent / "tests" / "data" / "similar_queries.yml"
VECTORS = Path(tempfile.gettempdir()) / "kbgen-bench-vectors"
"""Article vectors kept between runs of this bench (by text and model: a stale one is never used)."""


@dataclass(frozen=True)
class Query:
    draft: str
    """What the agent passes to ``kbgen similar`` (a draft case file or free text)."""
    answer: str
    own: str = ""
    """The draft's own article, left out of the ranking (AskUbuntu: every question is also an article)."""
    kind: str = ""
    """The support set's kind of query (``error``: an exact message, which should list few articles)."""


Ranker = Callable[[Query], list[str]]
"""A query -> article ids, best first."""


def evaluate(rank: Ranker, queries: Sequence[Query]) -> dict[str, float]:
    hit1 = hit3 = rr = 0.0
    listed: list[int] = []
    for q in queries:
        ids = [i for i in rank(q) if i != q.own]
        if q.kind == "error":
            listed.append(len(ids[:10]))  # what the command lists by default (--limit 10)
        position = ids.index(q.answer) + 1 if q.answer in ids else 0
        hit1 += position == 1
        hit3 += 0 < position <= 3
        rr += 1 / position if position else 0.0
    n = len(queries) or 1
    return {"r@1": hit1 / n, "r@3": hit3 / n, "mrr": rr / n, "listed": statistics.mean(listed) if listed else float("nan")}


def similar_install() -> str:
    from kbgen import semantic

    return semantic.INSTALL


def has_semantic() -> bool:
    from kbgen import semantic

    return semantic.available()


def embedded(articles: Sequence[Article]) -> similar.Index:
    """An index with every article's vector when the model is installed (as ``kbgen similar`` saves it)."""
    index = similar.Index(articles)
    if has_semantic():
        # kept by text, one store a set of articles: the rows of the table embed each article once
        index.embed(VECTORS / hashlib.blake2b(" ".join(a.id for a in articles).encode(), digest_size=8).hexdigest())
    return index


def kbgen_ranker(articles: Sequence[Article]) -> Ranker:
    """``kbgen similar`` as installed: by meaning too when the model is there."""
    index = embedded(articles)
    return lambda q: [e.id for e, _ in index.search(similar.parse_draft(q.draft), 20, exclude=[q.own] if q.own else [])]


def words_ranker(articles: Sequence[Article]) -> Ranker:
    """``kbgen similar --no-semantic``: the word ranking alone."""
    index = similar.Index(articles)
    return lambda q: [e.id for e, _ in index.search(similar.parse_draft(q.draft), 20, exclude=[q.own] if q.own else [], semantic=False)]


def meaning_variant(how: str) -> Callable[[Sequence[Article]], Ranker]:
    """Other ways to use the article vectors, measured next to the kept one (the default ranking):

    - ``cosine only``: the word list's best 20 (after the tail cut) re-ordered by cosine alone, no error-string lift
      (the ``--semantic`` of before);
    - ``lift by every error string``: the default, lifted by quoted words too, not only by strings that are or hold a code;
    - ``lift x (1 + specificity)``: the cosine multiplied by an error string's weight, as the word score is;
    - ``no tail cut``: the default, but re-ordering the word ranking's best 20 without its tail cut;
    - ``pool + 5 nearest``: the default's pool plus the 5 articles nearest by cosine among all (found by meaning only);
    - ``rrf``: reciprocal rank fusion (k = 60, the usual constant) of the word order and the cosine order of all articles;
    - ``cosine, all articles``: every article by cosine alone, the word ranking unused."""

    def build(articles: Sequence[Article]) -> Ranker:
        index = embedded(articles)

        def rank(q: Query) -> list[str]:
            draft = similar.parse_draft(q.draft)
            skip = {q.own} if q.own else set()
            errors = index.error_matches(draft)
            word = {i: v for i, v in index.scores(draft, errors).items() if v > 0 and index.rows[i][0] not in skip}
            words = sorted(word, key=lambda i: (-word[i], i))
            if not words and how != "cosine, all articles":
                return []
            cut = [i for i in words if word[i] >= word[words[0]] * similar.TAIL]
            if how in ("lift by every error string", "lift x (1 + specificity)"):
                pool = cut[: similar.POOL]
                if how == "lift by every error string":
                    score = index.by_meaning(str(draft), pool, errors)
                else:
                    cos = dict(zip(pool, index.cosines(str(draft), pool), strict=True))
                    score = {i: min(max(cos[i], 0.0) * (1 + similar.ERROR_WEIGHT * errors.get(i, 0.0)), 1.0) for i in pool}
                return [index.rows[i][0] for i in sorted(pool, key=lambda i: (-score[i], i))]
            if how == "cosine only":
                pool = cut[: similar.POOL]
                cos = dict(zip(pool, index.cosines(str(draft), pool), strict=True))
                return [index.rows[i][0] for i in sorted(pool, key=lambda i: (-cos[i], i))]
            coded = index.error_matches(draft, coded=True)
            if how == "no tail cut":
                pool = words[: similar.POOL]
                score = index.by_meaning(str(draft), pool, coded)
                return [index.rows[i][0] for i in sorted(pool, key=lambda i: (-score[i], i))]
            every = [i for i in range(len(index)) if index.rows[i][0] not in skip]
            cos = dict(zip(every, index.cosines(str(draft), every), strict=True))
            nearest = sorted(every, key=lambda i: (-cos[i], i))
            if how == "pool + 5 nearest":
                pool = list(dict.fromkeys([*cut[: similar.POOL], *nearest[:5]]))
                score = index.by_meaning(str(draft), pool, coded)
                return [index.rows[i][0] for i in sorted(pool, key=lambda i: (-score[i], i))]
            if how == "rrf":
                fused: dict[int, float] = {}
                for order in (words, nearest):
                    for r, i in enumerate(order):
                        fused[i] = fused.get(i, 0.0) + 1 / (60 + r + 1)
                return [index.rows[i][0] for i in sorted(fused, key=lambda i: (-fused[i], i))[:20]]
            assert how == "cosine, all articles", how
            return [index.rows[i][0] for i in nearest[:20]]

        return rank

    return build


def memo_queries() -> None:
    """Embed each query once for all rows of the table (the variants differ in what they do with the vectors)."""
    from kbgen import semantic

    encode = semantic.encode
    one = functools.cache(lambda text: encode([text]))
    semantic.encode = lambda texts: one(texts[0]) if len(texts) == 1 else encode(texts)


def before_ranker(articles: Sequence[Article]) -> Ranker:
    index = similar_before.Index(articles)
    return lambda q: [a.id for a, _ in index.search(similar_before.draft_query(q.draft), 21)]


def bm25s_ranker(articles: Sequence[Article]) -> Ranker:
    """Plain BM25 (bm25s, English stop words, no stemming) over the titles and problems of an article's cases."""
    import bm25s

    retriever = bm25s.BM25()
    texts = ["\n".join(f"{c.title}\n{c.problem}" for c in a.cases) for a in articles]
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def rank(q: Query) -> list[str]:
        tokens = bm25s.tokenize([similar.draft_query(q.draft)], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = retriever.retrieve(tokens, k=min(21, len(articles)), show_progress=False)
        return [articles[int(d)].id for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    return rank


def askubuntu_set(path: Path) -> tuple[list[Article], list[Query]]:
    questions, pairs = askubuntu.load(path)
    return [askubuntu.article(q) for q in questions], [Query(q.draft(), answer, q.id) for q, answer in pairs]


def support_set() -> tuple[list[Article], list[Query]]:
    data = yaml.safe_load(SUPPORT.read_text(encoding="utf-8"))
    articles = []
    for a in data["articles"]:
        def case(case_id: str, title: str, problem: str, a: dict[str, object] = a) -> Case:
            return Case(id=case_id, title=title, product=str(a["product"]), resolved=date(2026, 3, 1), path=f"cases/{case_id}.md",
                        component=a.get("component"), tags=tuple(a.get("tags", ())),  # type: ignore[arg-type]
                        sections=(Section("Problem", problem, 8), Section("Solution", str(a["solution"]), 11)))
        cases = (case(str(a["id"]), str(a["title"]), str(a["problem"])),
                 *(case(f"{a['id']}-{n}", m["title"], m["problem"]) for n, m in enumerate(a.get("also", ()), 1)))  # type: ignore[attr-defined]
        articles.append(Article(canonical=cases[0], best=cases[0], cases=cases))
    return articles, [Query(q["query"], q["article"], kind=q.get("kind", "")) for q in data["queries"]]


@contextlib.contextmanager
def patched(**values: object) -> Iterator[None]:
    """Switch a part of kbgen.similar off for an ablation row."""
    old = {k: getattr(similar, k) for k in values}
    for k, v in values.items():
        setattr(similar, k, v)
    similar._term.cache_clear()
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(similar, k, v)
        similar._term.cache_clear()


def fmt(scores: dict[str, float]) -> str:
    return f"{scores['r@1']:6.3f} {scores['r@3']:6.3f} {scores['mrr']:6.3f}"


def quality(sets: dict[str, tuple[list[Article], list[Query]]]) -> None:
    rankers = {"kbgen similar": kbgen_ranker, "bm25s (title + problem)": bm25s_ranker, "kbgen similar before": before_ranker,
               "kbgen similar --no-semantic": words_ranker}
    if has_semantic():
        memo_queries()
        for how in ("cosine only", "lift by every error string", "lift x (1 + specificity)", "no tail cut", "pool + 5 nearest", "rrf",
                    "cosine, all articles"):
            rankers[f"meaning: {how}"] = meaning_variant(how)
    else:
        print(f"(kbgen similar ranks by words alone here, the model is not installed: {similar_install()})")
    for name, (articles, queries) in sets.items():
        print(f"\n{name}: {len(articles)} articles, {len(queries)} queries (one query = {1 / len(queries):.3f})")
        errors = sum(q.kind == "error" for q in queries)
        print(f"  {'':<32} {'r@1':>6} {'r@3':>6} {'MRR':>6}" + (f"  listed for {errors} exact messages (mean)" if errors else ""))
        results = {}
        for r, build in rankers.items():
            start = time.perf_counter()
            results[r] = scores = evaluate(build(articles), queries)
            listed = f"  {scores['listed']:5.2f}" if errors else ""
            print(f"  {r:<32} {fmt(scores)}{listed}   ({time.perf_counter() - start:.0f} s)", flush=True)
        for r in ("kbgen similar", "kbgen similar --no-semantic"):
            print(f"  recall@3 margin of {r} over bm25s: {results[r]['r@3'] - results['bm25s (title + problem)']['r@3']:+.3f}")
    print("\nablations: kbgen similar --no-semantic without ... (r@1 r@3 MRR per set)")
    ablations: dict[str, dict[str, object]] = {
        "nothing (full method)": {},
        "title-only match": {"TITLE_MATCH": 0.0},
        "draft title counted 3x": {"QUERY_TITLE_WEIGHT": 1},
        "field weights (all 1)": {"FIELD_WEIGHTS": dict.fromkeys(similar.FIELD_WEIGHTS, 1)},
        "error-string matches": {"ERROR_WEIGHT": 0.0},
        "synonym table and phrases": {"_CANON": {}, "_PHRASE": re.compile(r"(?!)")},
        "tail cut": {"TAIL": 0.0},
    }
    for label, values in ablations.items():
        with patched(**values):
            cells = "   ".join(fmt(evaluate(words_ranker(a), q)) for a, q in sets.values())
        print(f"  {label:<28} {cells}")


KB_YML = """site_name: Bench KB
docs_dir: pages
theme:
  name: material
plugins:
  - search
  - kbgen:
      cases_dir: cases
      root_causes: root-causes.yml
"""


def timed(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(f"{shlex.join(args)} exited {proc.returncode} in {cwd}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return time.perf_counter() - start, proc.stdout


def before_tree(ref: str) -> Path:
    """kbgen as it was at git ``ref`` (its package folder only), to time the command before this version."""
    tree = Path(tempfile.mkdtemp(prefix="kbgen-before-"))
    archive = subprocess.run(["git", "archive", ref, "kbgen"], cwd=HERE.parent, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def whole_command(work: Path, title: str, case: Path, runs: int, before: str | None) -> None:
    """Wall time of whole `kbgen similar` runs (a new Python each time), interleaved with their references.

    Python runs as on a user's machine, with its bytecode cache (``pip install`` compiles it). The ``no bytecode``
    rows run a copy of the kbgen package without one, under PYTHONDONTWRITEBYTECODE (a fresh checkout in a shell
    that sets it): kbgen's modules are compiled from source on every call."""
    python = sys.executable
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    source = Path(tempfile.mkdtemp(prefix="kbgen-source-"))
    shutil.copytree(HERE.parent / "kbgen", source / "kbgen", ignore=shutil.ignore_patterns("__pycache__"))
    raw = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(source)}
    subprocess.run([python, "-c", "import kbgen.cli, kbgen.similar, kbgen.load"], env=env, check=True)  # writes the bytecode once
    commands: dict[str, tuple[list[str], Path, dict[str, str] | None]] = {
        "python -c pass": ([python, "-c", "pass"], work, env),
        "kbgen --version": ([python, "-m", "kbgen.cli", "--version"], work, env),
        'kbgen similar "TEXT"': ([python, "-m", "kbgen.cli", "similar", title], work, env),
        'kbgen similar "TEXT" --json': ([python, "-m", "kbgen.cli", "similar", title, "--json"], work, env),
        'kbgen similar "TEXT" --json --no-semantic': ([python, "-m", "kbgen.cli", "similar", title, "--json", "--no-semantic"], work, env),
        "kbgen similar FILE": ([python, "-m", "kbgen.cli", "similar", str(case)], work, env),
        "kbgen similar FILE --json": ([python, "-m", "kbgen.cli", "similar", str(case), "--json"], work, env),
        'no bytecode: kbgen similar "TEXT" --json': ([python, "-m", "kbgen.cli", "similar", title, "--json"], work, raw),
        "no bytecode: kbgen similar FILE --json": ([python, "-m", "kbgen.cli", "similar", str(case), "--json"], work, raw),
    }
    if before:
        # the earlier kbgen keeps its own cache (another index format): it runs on a copy of the knowledge base
        old = work.with_name(work.name + "-before")
        shutil.copytree(work, old, ignore=shutil.ignore_patterns(".cache"))
        old_tree = before_tree(before)
        env_before = {**env, "PYTHONPATH": str(old_tree)}
        for label, args in ((f'{before}: kbgen similar "TEXT" --json', [title, "--json"]),
                            (f"{before}: kbgen similar FILE --json", [str(old / case.relative_to(work)), "--json"])):
            commands[label] = ([python, "-m", "kbgen.cli", "similar", *args], old, env_before)
        first_before, _ = timed(commands[f'{before}: kbgen similar "TEXT" --json'][0], old, env_before)  # its first call builds its index
        print(f"  {before}: first call (pipeline + index + save, no vectors): {first_before:6.2f} s")
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):  # interleaved, so load from other processes hits every command alike
        for label, (args, cwd, run_env) in commands.items():
            times[label].append(timed(args, cwd, run_env)[0])
    print(f"  whole command, cached index, wall time in s (min / median of {runs} runs):")
    for label, t in times.items():
        print(f"    {label:<48} {min(t):5.3f} / {statistics.median(t):5.3f}")
    shutil.rmtree(source, ignore_errors=True)
    if before:
        for what in ('"TEXT" --json', "FILE --json"):
            new, old_t = times[f"kbgen similar {what}"], times[f"{before}: kbgen similar {what}"]
            print(f"    ratio {what}: this / {before} = {statistics.median(new) / statistics.median(old_t):.2f} (medians)")
        shutil.rmtree(work.with_name(work.name + "-before"), ignore_errors=True)
        shutil.rmtree(old_tree, ignore_errors=True)


def speed(n: int, keep: bool, runs: int, before: str | None) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"kbgen-similar-{n}-"))
    generate(n, work, seed=1, distinct=True)
    (work / "pages").mkdir()
    (work / "mkdocs.yml").write_text(KB_YML)
    kbgen = str(Path(sys.executable).with_name("kbgen"))
    os.environ["CI"] = "1"
    case = sorted((work / "cases").rglob("*.md"))[n // 2]
    title = next(line.split(":", 1)[1].strip().strip('"') for line in case.read_text().splitlines() if line.startswith("title:"))
    query = [kbgen, "similar", title, "--json", "-f", "mkdocs.yml"]
    first, out = timed(query, work)
    articles = len(similar.Index.load(next((work / ".cache" / "kbgen").glob("similar-*"))))
    calls = [timed(query, work) for _ in range(5)]
    assert all(o == out for _, o in calls), "a cached answer differs from the first"
    print(f"\nspeed: {n:,} cases -> {articles:,} articles in {work}")
    print(f"  first call (pipeline + index + save):   {first:6.2f} s")
    whole_command(work, title, case, runs, before)

    # in-process: what a call does besides starting Python and reading mkdocs.yml
    from kbgen.cli import open_config, run_pipeline

    cfg, plugin = open_config(str(work / "mkdocs.yml"))
    opts = plugin.options(cfg)
    cache = work / ".cache" / "kbgen"
    parts: dict[str, list[float]] = {"list inputs": [], "hash inputs (manifest)": [], "load index": [], "query": [], "total": [],
                                     "hash inputs (read every file)": []}
    for _ in range(7):  # interleaved, so load from other processes hits every part alike
        t0 = time.perf_counter()
        files = similar.input_files(opts.cases_dir, opts.root_causes)
        t1 = time.perf_counter()
        key = similar.content_key(repr(replace(opts, as_of=date.min)), files, cache / "files.json")
        t2 = time.perf_counter()
        index = similar.cached_index(cache, key, lambda: [])
        t3 = time.perf_counter()
        index.search(similar.parse_draft(title), 10)
        t4 = time.perf_counter()
        similar.content_key(repr(replace(opts, as_of=date.min)), files)
        t5 = time.perf_counter()
        for name, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, t5 - t4), strict=True):
            parts[name].append(dt)
    start = time.perf_counter()
    articles_now = run_pipeline(cfg, plugin).articles
    pipeline = time.perf_counter() - start
    fresh = similar.Index(articles_now)
    words = time.perf_counter() - start - pipeline
    uncached = fresh.search(similar.parse_draft(title), 10)
    before = time.perf_counter() - start
    assert uncached, "no result without the cache"
    if has_semantic():  # what the vectors add to indexing: all kept by text (an unchanged knowledge base), and none
        start = time.perf_counter()
        fresh.embed(cache / "vectors")
        warm = time.perf_counter() - start
        start = time.perf_counter()
        similar.Index(articles_now).embed(None)
        cold = time.perf_counter() - start
        print(f"  indexing in-process, s: pipeline {pipeline:.2f}, word index {words:.2f}, article vectors: kept by text {warm:.2f},"
              f" all embedded {cold:.2f} ({len(articles_now):,} articles, {len(articles_now) / cold:.0f} a second)")

    top = json.loads(out)["results"][0]["article"]
    next(p for p in (work / "cases").rglob("*.md") if p.stem.lower() == top.lower()).unlink()
    stale, out2 = timed(query, work)
    gone = top not in [r["article"] for r in json.loads(out2)["results"]]
    again, _ = timed(query, work)
    edited = next(p for p in sorted((work / "cases").rglob("*.md")) if "## Problem" in p.read_text())
    edited.write_text(edited.read_text().replace("## Problem\n", "## Problem\nSince this morning, after the update:\n", 1))
    after_edit, _ = timed(query, work)

    print("  cached call in-process, ms (min / median of 7):")
    for name, times in parts.items():
        print(f"    {name:<30} {min(times) * 1000:6.0f} / {statistics.median(times) * 1000:6.0f}")
    print(f"  reference, in-process without a cache (pipeline + index + query, as before): {before:6.2f} s")
    print(f"  after deleting the top result's case file: {stale:6.2f} s (rebuilt; the deleted article is "
          f"{'gone' if gone else 'STILL LISTED: stale index'}), next call {again:.2f} s")
    print(f"  after editing one case's problem: {after_edit:6.2f} s (pipeline, index, one article embedded)")
    if not keep:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="generated cases for the speed run (0: skip it)")
    parser.add_argument("--data", type=Path, default=askubuntu.DEV, help="the AskUbuntu pairs (tab-separated)")
    parser.add_argument("--keep", action="store_true", help="keep the generated knowledge base")
    parser.add_argument("--speed-only", action="store_true", help="skip the quality tables")
    parser.add_argument("--runs", type=int, default=11, help="whole-command runs of each kind (min and median reported)")
    parser.add_argument("--before", default=None, metavar="GIT_REF",
                        help="also time the command as it was at this git commit (on a copy of the knowledge base)")
    args = parser.parse_args()
    if not args.speed_only:
        quality({"AskUbuntu dev half (real wording)": askubuntu_set(args.data), "support-style paraphrases (similar_queries.yml)": support_set()})
    if args.n:
        speed(args.n, args.keep, args.runs, args.before)


if __name__ == "__main__":
    main()
