"""The real-wording data set for ``bench/bench_similar.py``: AskUbuntu duplicate questions as support cases.

``/work/shared/data/askubuntu-dev.tsv`` (see its README): one labelled pair a line, each question its
title followed by its HTML body. Every distinct question becomes a one-case article (title = the
question's title, Problem = its body as Markdown text, a unique meaningless Solution); every question
of a ``duplicate`` pair is a query (as a draft case file) whose answer is the other question.
"Possible Duplicate" blocks, which name the answer, are removed first.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kbgen.models import Article, Case, Section

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "askubuntu-dev.tsv"  # shared/ beside the clone

_POSSIBLE_DUPLICATE = re.compile(r"<blockquote>(?:(?!</blockquote>).)*?Possible Duplicate.*?</blockquote>", re.DOTALL | re.IGNORECASE)
_BODY_START = re.compile(r"<(?:p|pre|h[1-6]|blockquote|ul|ol|div|hr|table|img)\b", re.IGNORECASE)
_PRE = re.compile(r"<pre[^>]*>\s*(?:<code[^>]*>)?(.*?)(?:</code>\s*)?</pre>", re.DOTALL | re.IGNORECASE)
_CODE = re.compile(r"<code[^>]*>(.*?)</code>", re.DOTALL | re.IGNORECASE)
_BREAK = re.compile(r"</?(?:p|br|li|h[1-6]|div|blockquote|ul|ol|tr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    problem: str

    def draft(self) -> str:
        """The question as an agent's draft case file."""
        title = self.title.replace('"', "'")
        return f'---\ntitle: "{title}"\nproduct: Ubuntu\n---\n\n## Problem\n{self.problem}\n'


def to_markdown(body: str) -> str:
    """An AskUbuntu HTML body as the Markdown text a case's Problem would hold (code kept as code)."""
    body = _POSSIBLE_DUPLICATE.sub(" ", body)
    body = _PRE.sub(lambda m: "\n```\n" + _TAG.sub("", m.group(1)).strip() + "\n```\n", body)
    body = _CODE.sub(lambda m: "`" + _TAG.sub("", m.group(1)).replace("`", "'") + "`", body)
    body = _BREAK.sub("\n", body)
    text = html.unescape(_TAG.sub("", body))
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def split_question(raw: str) -> tuple[str, str]:
    m = _BODY_START.search(raw)
    cut = m.start() if m else len(raw)
    return html.unescape(raw[:cut]).strip(), raw[cut:]


def load(path: Path = DEV) -> tuple[list[Question], list[tuple[Question, str]]]:
    """The distinct questions, and (query question, id of its marked duplicate) for every duplicate pair, both ways."""
    by_text: dict[str, Question] = {}
    pairs: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        label, q1, q2 = line.split("\t")[:3]
        for raw in (q1, q2):
            if raw not in by_text:
                title, body = split_question(raw)
                by_text[raw] = Question(f"AU-{len(by_text) + 1:04d}", title, to_markdown(body))
        pairs.append((label, q1, q2))
    queries = []
    for label, q1, q2 in pairs:
        if label == "duplicate" and by_text[q1].id != by_text[q2].id:
            queries.append((by_text[q1], by_text[q2].id))
            queries.append((by_text[q2], by_text[q1].id))
    return list(by_text.values()), queries


def article(q: Question) -> Article:
    """A question as a published one-case article with a unique, meaningless solution."""
    solution = f"1. Apply fix {q.id.lower().replace('-', '')} from the runbook."
    case = Case(id=q.id, title=q.title, product="Ubuntu", resolved=date(2026, 1, 1), path=f"cases/{q.id}.md",
                sections=(Section("Problem", q.problem, 6), Section("Solution", solution, 8)))
    return Article(canonical=case, best=case, cases=(case,))
