"""`kbgen similar`'s ranking before issue 12, frozen here as the "before" column of bench_similar.py (not used by kbgen).

Customers describe one problem in many words, so this is relevance ranking, not string similarity.

**Text.** Lower case; a few multi-word phrases become one word ("sign in", "log on" -> ``login``);
words are split on anything that is not a letter or digit, and identifiers such as ``qt5gui.dll``,
``card_declined`` or ``5.7.26`` are also kept whole; English stop words are dropped; a light
suffix stemmer (``crashes``, ``crashed``, ``crashing`` -> ``crash``) and a small table of support
synonyms (bill = invoice, pc = laptop = computer, removed = deleted, ...) map variants onto one term.

**BM25F.** Each article is one document whose fields are weighted (:data:`FIELD_WEIGHTS`): the
shown title, the titles of the cases merged into it (the other phrasings customers used), the
problems and environments of all its cases, product/component/tags, and the solution and cause.
A term's frequency is the weighted sum over fields; the usual BM25 saturation (``K1``) and length
normalisation (``B``) apply. A query word that no article uses is replaced by the closest
vocabulary term within one edit (two for long words), at a lower weight (typos).

**Error strings.** Code spans and double-quoted text in the titles and problems of an article's
cases (``0x80070070``, ``401 Unauthorized``, ``NET::ERR_CERT_DATE_INVALID``) and the codes inside
them (``5.7.26``, ``401``) are matched as exact, punctuation-insensitive phrases in the query. A
match counts ``1 / (articles that share the string)``, or that share its most specific code
(``HTTP 401`` says no more than ``401``), so a unique code is strong evidence and a common one
barely counts.

**Score** (0-1, higher is better). ``text`` is the BM25F score divided by the best score the
query's terms could reach (every term present at saturating frequency), i.e. roughly the share of
the draft's rarity-weighted words that the article covers; words no article knows count against it,
because a draft full of unknown words is likely a new problem. An error match lifts it:
``score = 1 - (1 - text) * (1 - ERROR_WEIGHT * error)``. A unique exact error string thus puts its
article above ``ERROR_WEIGHT``. Articles sharing nothing with the query are not returned.

``bench/bench_similar.py`` measures hit@1, hit@3 and MRR on ``tests/data/similar_queries.yml``
against plain BM25 (bm25s) and rapidfuzz's ``token_set_ratio``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from kbgen import load
from kbgen.models import Article, Case

K1 = 1.2
B = 0.75
FIELD_WEIGHTS = {"title": 3.0, "titles": 2.0, "problem": 1.0, "meta": 1.0, "rest": 0.5}
"""title: the shown case's; titles: the merged cases'; problem: Problem and Environment of every case;
meta: product, component, tags; rest: the shown case's Solution and Cause."""
ERROR_WEIGHT = 0.6
TYPO_WEIGHT = 0.7

_STOP_WORDS = """
a about above after again against all also am an and any are as at be because been before being below between both but by
can cannot could did do does doing down during each few for from further get gets got had has have having he her here hers
him his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours
out over own same she should so some still such than that the their them then there these they this those through to too
under until up us very was we were what when where which while who whom why will with would you your yours
hi hello hey thanks thank please pls help team regards cheers anyone somebody something anything everything really
dont doesnt didnt cant wont isnt im ive id its thats theres
"""
_STOP = frozenset(_STOP_WORDS.split())

_PHRASES = {
    "login": r"(?:sign|log)(?:s|ed|ged|ing|ging)?[ -]?(?:in|on|into)",
    "logout": r"(?:sign|log)(?:s|ed|ged|ing|ging)?[ -]?(?:out|off)",
    "timeout": r"time[sd]?[ -]out",
    "email": r"e-mail",
    "2fa": r"(?:two|2|multi)[ -]?(?:factor|step)",
    "tray": r"notification area",
    "websocket": r"web ?sockets?",
}
"""Phrases that mean one thing, replaced by one word before splitting."""
_PHRASE_WORDS = list(_PHRASES)
_PHRASE = re.compile("|".join(rf"\b(?P<p{i}>{pattern})\b" for i, pattern in enumerate(_PHRASES.values())))

_SYNONYMS = [
    "login signin logon", "logout signout", "password passwd pwd passcode credentials",
    "computer pc laptop desktop machine workstation notebook", "phone mobile smartphone",
    "app application program software", "invoice bill", "payment pay", "email mail",
    "delete remove erase", "folder directory dir", "missing gone disappeared vanished",
    "upgrade update", "start launch startup", "freeze frozen hang hung unresponsive",
    "certificate cert", "limit quota throttle", "duplicate twice double", "wrong incorrect",
    "large big huge", "slow sluggish laggy", "tray systray", "receive deliver arrive",
    "2fa mfa twofactor", "websocket socket ws",
]

_WORD = re.compile(r"[a-z0-9]+")
_COMPOUND = re.compile(r"[a-z0-9]+(?:[_.:/-]+[a-z0-9]+)+")
_SPAN = re.compile(r"`([^`\n]+)`|\"([^\"\n]{3,200})\"")
_CODE = re.compile(r"[A-Za-z0-9]+(?:[._:-]+[A-Za-z0-9]+)*")


def _stem(word: str) -> str:
    """A light suffix stripper: enough to meet plural and tense variants, nothing more."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if word.endswith(suffix):
            if (suffix == "s" and word[-2] in "su") or (suffix == "ed" and word.endswith("eed")):
                break
            stem = word[: len(word) - len(suffix)] + repl
            if len(stem) >= 3:
                word = stem
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


_CANON = {_stem(w): _stem(group.split()[0]) for group in _SYNONYMS for w in group.split()}


@functools.lru_cache(maxsize=1 << 16)
def _term(word: str) -> str | None:
    """One word -> its index term (stemmed, synonyms merged), or None for a stop word."""
    if (len(word) < 2 and not word.isdigit()) or word in _STOP:
        return None
    stem = _stem(word)
    return _CANON.get(stem, stem)


def tokenize(text: str) -> list[str]:
    """Text -> index terms: phrases joined, words and whole identifiers, stop words dropped, stemmed, synonyms merged."""
    text = _PHRASE.sub(lambda m: _PHRASE_WORDS[int((m.lastgroup or "p0")[1:])], text.lower())
    words = [*_WORD.findall(text), *(c.strip("._:/-") for c in _COMPOUND.findall(text))]
    return [t for t in map(_term, words) if t is not None]


def _norm(text: str) -> str:
    """Punctuation-insensitive form for exact error-string matching."""
    return " ".join(_WORD.findall(text.lower()))


def error_strings(text: str) -> dict[str, frozenset[str]]:
    """Code spans and double-quoted text that look like error strings, and the codes inside them, normalised.

    Maps each string to the codes it contains (``"http 401"`` -> ``{"401"}``). Single ordinary words
    (a status such as "Sent") are left to the text score."""
    found: dict[str, frozenset[str]] = {}
    for match in _SPAN.finditer(text):
        raw = match.group(1) or match.group(2)
        codes = frozenset(c for c in (_norm(c) for c in _CODE.findall(raw) if _is_code(c)) if len(c) >= 3)
        for code in codes:
            found[code] = frozenset({code})
        whole = _norm(raw)
        if len(whole) >= 3 and (len(whole.split()) >= 2 or codes):
            found[whole] = found.get(whole, frozenset()) | codes
    return found


def _is_code(token: str) -> bool:
    return any(ch.isdigit() for ch in token) or "_" in token or "::" in token or "." in token.strip(".")


class Index:
    """The articles prepared for many queries: an inverted BM25F index and the error strings."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = sorted(articles, key=lambda a: a.id)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.errors: dict[str, list[int]] = defaultdict(list)
        codes: dict[str, frozenset[str]] = {}
        lengths: list[float] = []
        for i, article in enumerate(self.articles):
            tf: dict[str, float] = defaultdict(float)
            length = 0.0
            for name, text in _fields(article):
                weight = FIELD_WEIGHTS[name]
                for term in tokenize(text):
                    tf[term] += weight
                    length += weight
            for term, freq in tf.items():
                self.postings[term].append((i, freq))
            lengths.append(length)
            symptoms = " ".join(f"{c.title}\n{c.problem}" for c in article.cases or (article.best,))
            for s, inside in error_strings(symptoms).items():
                self.errors[s].append(i)
                codes[s] = codes.get(s, frozenset()) | inside
        avg = sum(lengths) / len(lengths) if lengths else 1.0
        self.norm = [K1 * (1 - B + B * length / (avg or 1.0)) for length in lengths]
        self.vocabulary = sorted(self.postings)
        # How much an exact match says: 1 / articles sharing the string, or sharing its most specific code
        # (`HTTP 401` in one article says no more than the `401` that several articles show).
        self.specificity = {s: 1 / max(len(docs), min((len(self.errors[c]) for c in codes[s]), default=1)) for s, docs in self.errors.items()}

    def idf(self, term: str) -> float:
        n, df = len(self.articles), len(self.postings.get(term, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def query_terms(self, query: str) -> dict[str, float]:
        """Query term -> weight; an unknown word becomes its closest vocabulary term (a typo) or stays, unmatched."""
        terms: dict[str, float] = {}
        for term in dict.fromkeys(tokenize(query)):
            weight = 1.0
            if term not in self.postings and term.isalpha() and len(term) >= 5:
                near = process.extractOne(term, self.vocabulary, scorer=OSA.distance, score_cutoff=1 if len(term) < 9 else 2)
                if near is not None:
                    term, weight = near[0], TYPO_WEIGHT
            terms[term] = max(terms.get(term, 0.0), weight)
        return terms

    def error_matches(self, query: str) -> dict[int, float]:
        """Article -> specificity of its best exact error-string match in the query."""
        padded = f" {_norm(query)} "
        found: dict[int, float] = {}
        for s, docs in self.errors.items():
            if f" {s} " in padded:
                for i in docs:
                    found[i] = max(found.get(i, 0.0), self.specificity[s])
        return found

    def search(self, query: str, limit: int = 10) -> list[tuple[Article, float]]:
        """Best first (ties by article id); see the module docstring for what the score means."""
        if limit <= 0 or not self.articles:
            return []
        terms = self.query_terms(query)
        best = sum(w * self.idf(t) * (K1 + 1) for t, w in terms.items())
        if not best:
            return []
        text: dict[int, float] = defaultdict(float)
        for term in sorted(terms):
            w_idf = terms[term] * self.idf(term) * (K1 + 1) / best
            for i, freq in self.postings.get(term, ()):
                text[i] += w_idf * freq / (freq + self.norm[i])
        errors = self.error_matches(query)
        scored = [(1 - (1 - text.get(i, 0.0)) * (1 - ERROR_WEIGHT * errors.get(i, 0.0)), i) for i in text.keys() | errors.keys()]
        scored.sort(key=lambda si: (-si[0], si[1]))  # articles are sorted by id, so the index breaks ties by id
        return [(self.articles[i], s) for s, i in scored[:limit] if s > 0]


def _fields(article: Article) -> Iterable[tuple[str, str]]:
    best = article.best
    cases: Sequence[Case] = article.cases or (best,)
    yield "title", best.title
    for c in cases:
        if c.title != best.title:
            yield "titles", c.title
        yield "problem", f"{c.problem}\n{c.section('environment')}"
    tags = {t for c in cases for t in c.tags}
    yield "meta", " ".join([best.product, best.component or "", *sorted(tags)])
    yield "rest", f"{best.solution}\n{best.section('cause')}"


def search(articles: Sequence[Article], query: str, limit: int = 10) -> list[tuple[Article, float]]:
    """The ``limit`` articles closest to ``query``, best first, as (article, score in 0-1); [] when nothing matches.

    Builds an :class:`Index` each call; keep an ``Index`` to run many queries."""
    return Index(articles).search(query, limit)


def draft_query(text: str) -> str:
    """A draft case file (front matter + Markdown sections) or free text -> the text to search with.

    Keeps the title, product, component and tags, the Problem and Environment sections, any text
    before the first section, and the error strings (code spans, quoted text) of the other sections.
    Drops the other front matter (id, dates, customer, ...), the Internal notes section, HTML comments,
    and the rest of Solution, Cause and other sections (they describe the fix, not the symptom).
    Free text without sections comes back whole, minus HTML comments.
    """
    text = text.lstrip("\ufeff")
    meta, body = _front_matter(text)
    body, _ = load.strip_comments(body, "", 1)
    parts = [str(meta[k]) for k in ("title", "product", "component") if meta.get(k)]
    tags = meta.get("tags")
    if isinstance(tags, list):
        parts.append(" ".join(str(t) for t in tags))
    preamble, sections, _ = load.split_sections(body, 1)  # the same section rules as the build
    parts.append(preamble)
    for section in sections:
        if section.key in ("problem", "environment"):
            parts.append(section.body)
        elif not section.internal:
            parts.extend(m.group(0) for m in _SPAN.finditer(section.body))
    return "\n".join(p.strip() for p in parts if p.strip())


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    front, body, _, _ = load.split_front_matter(text, "")
    if front is None:
        return {}, text
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError:  # a broken draft still has a title worth searching for
        meta = dict(re.findall(r"^(title|product|component):[ \t]*(.+)$", front, re.MULTILINE))
    return (meta if isinstance(meta, dict) else {}), body
