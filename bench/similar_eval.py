"""The labelled set of drafts and the rankers measured on it: kbgen's, plain BM25 (bm25s) and rapidfuzz.

Shared by ``tests/test_similar.py`` (which asserts the ranking quality) and ``bench/bench_similar.py``
(which prints it), so the benchmark imports nothing from the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from kbgen.models import Article, Case, Section
from kbgen.similar import Index, draft_query

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "similar_queries.yml"

Ranker = Callable[[str], list[str]]
"""A query -> article ids, best first."""


def make_case(case_id: str, title: str, problem: str, solution: str = "", product: str = "Acme Sync", **fields: Any) -> Case:
    return Case(id=case_id, title=title, product=product, resolved=date(2026, 3, 1), path=f"cases/{case_id}.md",
                sections=(Section("Problem", problem, 8), Section("Solution", solution, 11)), **fields)


def make_article(*cases: Case) -> Article:
    return Article(canonical=cases[0], best=cases[0], cases=cases)


def load_labelled(path: Path = LABELLED) -> tuple[list[Article], list[dict[str, str]]]:
    """The labelled set: its articles (merged phrasings as extra cases) and its queries."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    articles = []
    for a in data["articles"]:
        extra = dict(component=a.get("component"), tags=tuple(a.get("tags", ())), versions=tuple(a.get("versions", ())))
        best = make_case(a["id"], a["title"], a["problem"], a["solution"], a["product"], **extra)
        also = [make_case(f"{a['id']}-{n}", m["title"], m["problem"], a["solution"], a["product"], **extra)
                for n, m in enumerate(a.get("also", ()), 1)]
        articles.append(make_article(best, *also))
    return articles, data["queries"]


def plain_text(article: Article) -> str:
    """What a baseline sees: every case's title and problem, and the solution."""
    return "\n".join([*(f"{c.title}\n{c.problem}" for c in article.cases), article.best.solution])


def kbgen_ranker(articles: Sequence[Article]) -> Ranker:
    index = Index(articles)
    return lambda query: [a.id for a, _ in index.search(query, len(articles))]


def bm25s_ranker(articles: Sequence[Article]) -> Ranker:
    """Plain BM25 (bm25s, English stop words, no stemming) over the concatenated text."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([plain_text(a) for a in articles], stopwords="en", show_progress=False), show_progress=False)

    def rank(query: str) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = retriever.retrieve(tokens, k=len(articles), show_progress=False)
        return [articles[int(d)].id for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    return rank


def fuzzy_ranker(articles: Sequence[Article]) -> Ranker:
    """rapidfuzz token_set_ratio of the query against the concatenated text."""
    from rapidfuzz import fuzz

    texts = [(a.id, plain_text(a)) for a in articles]
    return lambda query: [i for _, i in sorted((-fuzz.token_set_ratio(query, t), i) for i, t in texts)]


def evaluate(rank: Ranker, queries: Sequence[dict[str, str]]) -> dict[str, float]:
    """hit@1, hit@3 and mean reciprocal rank of the labelled article."""
    hit1 = hit3 = rr = 0.0
    for q in queries:
        ids = rank(draft_query(q["query"]))
        position = ids.index(q["article"]) + 1 if q["article"] in ids else 0
        hit1 += position == 1
        hit3 += 0 < position <= 3
        rr += 1 / position if position else 0.0
    n = len(queries)
    return {"hit@1": hit1 / n, "hit@3": hit3 / n, "mrr": rr / n}
