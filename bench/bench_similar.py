"""Rank quality and speed of ``kbgen similar``: ``python bench/bench_similar.py [--n 10000] [--seed 1]``.

On the labelled set (tests/data/similar_queries.yml: paraphrased drafts, each labelled with its
article) prints hit@1, hit@3 and MRR for kbgen's search, plain BM25 (bm25s over the concatenated
titles, problems and solution) and rapidfuzz's token_set_ratio, for the dev queries (the method
was tuned on them), the held-out ones and all; then all queries with N synthetic articles
(bench/generate.py's problems, 1-3 cases each) mixed in as distractors, with index build time and
time per query; then kbgen with one part switched off at a time (what each part earns, and how
much rests on the synonym table written alongside the dev queries).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import edit_solution, make_problem
from similar_eval import Ranker, bm25s_ranker, evaluate, fuzzy_ranker, kbgen_ranker, load_labelled

from kbgen import similar
from kbgen.models import Article, Case, Section


def synthetic(n: int, seed: int) -> list[Article]:
    """N articles in generate.py's support style; an article merges 1-3 cases with different titles."""
    rng = random.Random(seed)
    articles = []
    for k in range(n):
        p = make_problem(rng)
        cases = tuple(
            Case(id=f"SYN-{k:05d}-{j}", title=p.titles[j], product=p.product, resolved=date(2026, 1, 1), path="", component=p.component,
                 tags=tuple(p.tags), sections=(Section("Problem", p.statements[j], 1), Section("Solution", edit_solution(rng, p), 1)))
            for j in range(rng.choice([1, 1, 2, 3]))
        )
        articles.append(Article(canonical=cases[0], best=cases[0], cases=cases))
    return articles


@contextmanager
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


def row(name: str, scores: dict[str, float], extra: str = "") -> None:
    print(f"  {name:<34} {scores['hit@1']:6.3f} {scores['hit@3']:6.3f} {scores['mrr']:6.3f}  {extra}")


def timed(build: Callable[[Sequence[Article]], Ranker], articles: Sequence[Article], queries: Sequence[dict[str, str]]) -> tuple[Ranker, str]:
    start = time.perf_counter()
    rank = build(articles)
    built = time.perf_counter() - start
    times = []
    for q in queries:
        text = similar.draft_query(q["query"])
        start = time.perf_counter()
        rank(text)
        times.append(time.perf_counter() - start)
    times.sort()
    return rank, (f"index {built:6.2f} s, per query median {statistics.median(times) * 1000:6.1f} ms, "
                  f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="synthetic distractor articles")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    articles, queries = load_labelled()
    splits = {"dev": [q for q in queries if q.get("split", "dev") == "dev"], "heldout": [q for q in queries if q.get("split") == "heldout"],
              "all": queries}
    print(f"labelled set: {len(articles)} articles, {len(queries)} queries "
          f"({len(splits['dev'])} dev, {len(splits['heldout'])} held out: written after the method was frozen)")
    print(f"  {'':<34} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}")
    for split, subset in splits.items():
        for name, build in (("kbgen similar", kbgen_ranker), ("bm25s", bm25s_ranker), ("rapidfuzz token_set_ratio", fuzzy_ranker)):
            row(f"{split:<8} {name}", evaluate(build(articles), subset))

    pool = articles + synthetic(args.n, args.seed)
    print(f"all labelled queries among {len(pool)} articles ({args.n} synthetic distractors)")
    for name, build in (("kbgen similar", kbgen_ranker), ("bm25s", bm25s_ranker)):
        rank, timing = timed(build, pool, queries)
        row(name, evaluate(rank, queries), timing)
    start = time.perf_counter()
    similar.search(pool, similar.draft_query(queries[0]["query"]))
    print(f"  one `kbgen similar` call (index + query, no cache): {time.perf_counter() - start:.2f} s")

    print(f"ablations, all queries: kbgen similar without ... (MRR on {len(articles)} / on {len(pool)} articles)")
    ablations: dict[str, dict[str, object]] = {
        "nothing (full method)": {},
        "synonym table and phrases": {"_CANON": {}, "_PHRASE": re.compile(r"(?!)")},
        "typo correction": {"TYPO_WEIGHT": 0.0},
        "error-string matches": {"ERROR_WEIGHT": 0.0},
        "field weights (all 1)": {"FIELD_WEIGHTS": dict.fromkeys(similar.FIELD_WEIGHTS, 1.0)},
        "merged phrasings": {"_fields": lambda a, f=similar._fields: f(Article(a.canonical, a.best, (a.best,)))},
    }
    for name, values in ablations.items():
        with patched(**values):
            small, large = evaluate(kbgen_ranker(articles), queries), evaluate(kbgen_ranker(pool), queries)
        print(f"  {name:<34} {small['mrr']:6.3f} / {large['mrr']:6.3f}")


if __name__ == "__main__":
    main()
