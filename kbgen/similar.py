"""`kbgen similar`: the published articles closest to a draft case, so an agent links one instead of writing a duplicate.

Customers describe one problem in many words, so this is relevance ranking, not string similarity.
``bench/bench_similar.py`` measures it on real duplicate questions (AskUbuntu) and on the project's
support-style paraphrases (``tests/data/similar_queries.yml``), next to plain BM25.

**Text.** Lower case; a few multi-word phrases become one word ("sign in", "log on" -> ``login``);
words are split on anything that is not a letter or digit, and identifiers such as ``qt5gui.dll``,
``card_declined`` or ``5.7.26`` are also kept whole; English stop words are dropped; a light
suffix stemmer (``crashes``, ``crashed``, ``crashing`` -> ``crash``) and a small table of support
synonyms (bill = invoice, pc = laptop = computer, removed = deleted, ...) map variants onto one term.

**BM25** (bm25s). Each article is one document whose fields count :data:`FIELD_WEIGHTS` times: the
shown title, the titles of the cases merged into it (the other phrasings customers used), the
problems and environments of all its cases, product/component/tags, and the solution and cause.
The draft counts the same way: its title :data:`QUERY_TITLE_WEIGHT` times, its problem once (a title
is the problem said in one line; a long problem carries much that is not the problem). Next to that,
the draft's words are matched against the articles' titles alone (:data:`TITLE_MATCH`): an article
whose headline is about them beats one whose long body happens to mention them. (Typo correction,
replacing an unknown word by the closest vocabulary term, changed no result on either measured set
and was dropped.)

**Error strings.** Code spans and double-quoted text in the titles and problems of an article's
cases (``0x80070070``, ``401 Unauthorized``, ``NET::ERR_CERT_DATE_INVALID``) and the codes inside
them (``5.7.26``, ``401``) are matched as exact, punctuation-insensitive phrases in the query, however
long the query (a whole log line or traceback). A match counts ``1 / (articles that share the string)``,
or that share its most specific code (``HTTP 401`` says no more than ``401``), so a unique code is
strong evidence and a common one barely counts.

**Score** (0-1, higher is better). ``text`` is the BM25 score divided by the best score the
query's terms could reach, i.e. roughly the share of the draft's rarity-weighted words that the
article covers; words no article knows count against it, because a draft full of unknown words is
likely a new problem. An error match lifts it: ``score = 1 - (1 - text) * (1 - ERROR_WEIGHT * error)``.
Articles sharing nothing with the query are not returned, nor those scoring below
:data:`TAIL` times the best one (where the scores fall off).

**Speed.** :class:`Index` saves to a folder and loads back without running the pipeline (raw
arrays and JSON, no pickle: the folder may sit in an untrusted checkout); :func:`cached_index`
keeps one per content hash of the inputs, so an unchanged knowledge base is never re-indexed and a
changed one never answers from a stale index. What a call needs of mkdocs.yml is kept too (:class:`Setup`,
keyed by :func:`config_fingerprint`), so a cached call imports neither MkDocs nor numpy: the index is
plain arrays, scored in Python. While no input file has a new size or time, :func:`content_key` answers
from one ``stat`` a file.

**Meaning** (the default when the model is installed, :func:`kbgen.semantic.available`; ``--no-semantic`` turns it
off): :mod:`kbgen.semantic` re-orders the listed articles (after the tail cut, at most :data:`POOL`) by the cosine
similarity of a sentence-embedding model, lifted by an exact error code (:meth:`Index.by_meaning`). Every
article's vector (of :func:`symptom_text`) is computed when the index is saved, kept by text between indexes
(:func:`kbgen.semantic.encode_cached`), and read through a memory map, so a call embeds only its query.
"""

from __future__ import annotations

import array
import dataclasses
import functools
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .models import Article, Case
    from .progress import Progress

K1 = 1.5
B = 0.75
FIELD_WEIGHTS = {"title": 3, "titles": 3, "problem": 1, "meta": 1, "rest": 1}
"""How many times each field counts (bm25s takes plain token lists, so a weight is a repeat count).
title: the shown case's; titles: the merged cases'; problem: Problem and Environment of every case;
meta: product, component, tags; rest: the shown case's Solution and Cause."""
QUERY_TITLE_WEIGHT = 3
"""How many times a draft's title counts against its problem text."""
ERROR_WEIGHT = 1.0
"""An exact error string multiplies the text score by ``1 + ERROR_WEIGHT * specificity``."""
TITLE_MATCH = 0.5
"""Weight of the query against the articles' titles alone (the shown and merged titles), next to 1 for all fields."""
TAIL = 0.4
"""Articles scoring below this share of the best one are cut: that is where the scores fall off."""
MAX_ERROR_WORDS = 32
"""Error strings longer than this many words are not matched (a whole pasted block is no error message)."""
POOL = 20
"""How many of the word ranking's best candidates (after the tail cut) the model re-orders, when ``--limit`` asks for fewer."""
FORMAT = 4
"""Version of the saved index layout and of the ranking: a change rebuilds every cached index."""

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


@dataclass(frozen=True)
class Entry:
    """What a result shows of an article; all an index keeps of it, so a saved index answers alone."""

    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Draft:
    """A query: the draft's title (counts :data:`QUERY_TITLE_WEIGHT` times) and the rest of its text."""

    title: str
    text: str
    id: str = ""
    """The draft's own id, when its front matter has one: an article of that id is not a duplicate of it."""

    def __str__(self) -> str:
        return "\n".join(p for p in (self.title, self.text) if p)


@dataclass
class Matrix:
    """One bm25s index: each term's column of precomputed per-article BM25 scores (CSC), and the vocabulary.

    Plain :mod:`array` columns, not numpy: a cached call only adds a few columns, and importing numpy
    would cost more than the whole query (bm25s and numpy are imported only to build an index)."""

    data: array.array[float]
    indices: array.array[int]
    indptr: array.array[int]
    vocab: dict[str, int]
    articles: int

    @classmethod
    def build(cls, docs: Sequence[list[str]]) -> Matrix:
        import bm25s  # imported here: only building an index needs it (and numpy), loading a saved one does not
        import numpy as np

        if not docs:
            return cls(array.array("f"), array.array("i"), array.array("q", [0]), {}, 0)
        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        retriever.index([d or [""] for d in docs], show_progress=False)
        scores = retriever.scores
        data: array.array[float] = array.array("f", np.asarray(scores["data"], dtype=np.float32).tobytes())
        indices = array.array("i", np.asarray(scores["indices"], dtype=np.int32).tobytes())
        indptr = array.array("q", np.asarray(scores["indptr"], dtype=np.int64).tobytes())
        return cls(data, indices, indptr, {str(t): int(i) for t, i in retriever.vocab_dict.items() if t}, len(docs))

    def df(self, term: str) -> int:
        t = self.vocab.get(term)
        return 0 if t is None else self.indptr[t + 1] - self.indptr[t]

    def add(self, into: dict[int, float], term: str, weight: float) -> None:
        t = self.vocab.get(term)
        if t is not None:
            lo, hi = self.indptr[t], self.indptr[t + 1]
            column = self.indices[lo:hi]
            # Checked here, on the few columns a query reads: a pass over every entry at load costs more than the query.
            if column and (min(column) < 0 or max(column) >= self.articles):
                raise ValueError(f"the saved index of '{term}' names an article that is not in it")
            get = into.get
            for i, v in zip(column, self.data[lo:hi], strict=True):
                into[i] = get(i, 0.0) + v * weight

    def save(self, folder: Path, name: str) -> dict[str, int]:
        for part in ("data", "indices", "indptr"):
            with open(folder / f"{name}.{part}", "wb") as f:
                getattr(self, part).tofile(f)
        return self.vocab

    @classmethod
    def load(cls, folder: Path, name: str, vocab: dict[str, int], articles: int) -> Matrix:
        def column(part: str) -> bytes:  # frombytes raises ValueError on a truncated file
            return (folder / f"{name}.{part}").read_bytes()

        data: array.array[float] = array.array("f")
        data.frombytes(column("data"))
        indices, indptr = array.array("i"), array.array("q")
        indices.frombytes(column("indices"))
        indptr.frombytes(column("indptr"))
        n = len(data)
        if (len(indices) != n or len(indptr) < len(vocab) + 1 or (len(vocab) and max(vocab.values()) >= len(indptr) - 1)
                or indptr[0] != 0 or indptr[-1] != n or any(a > b for a, b in itertools.pairwise(indptr))):
            raise ValueError(f"{folder}: the saved {name} index is inconsistent")
        return cls(data, indices, indptr, vocab, articles)  # the article numbers are checked as columns are read (add)


class Index:
    """The articles prepared for many queries: bm25s indexes of their fields and of their titles, and their error strings."""

    def __init__(self, articles: Sequence[Article]) -> None:
        ordered = sorted(articles, key=lambda a: a.id)
        self.rows = [[a.id, a.best.title, a.url] for a in ordered]
        self._texts: list[str] | None = [symptom_text(a) for a in ordered]
        self._folder: Path | None = None
        self._vectors: NDArray[np.float32] | None = None
        errors: dict[str, list[int]] = defaultdict(list)
        codes: dict[str, frozenset[str]] = {}
        for i, article in enumerate(ordered):
            symptoms = " ".join(f"{c.title}\n{c.problem}" for c in article.cases or (article.best,))
            for s, inside in error_strings(symptoms).items():
                if len(s.split()) <= MAX_ERROR_WORDS:
                    errors[s].append(i)
                    codes[s] = codes.get(s, frozenset()) | inside
        self.body = Matrix.build([[t for name, text in _fields(a) for t in tokenize(text) * FIELD_WEIGHTS[name]] for a in ordered])
        self.titles = Matrix.build([tokenize(" ".join(dict.fromkeys(c.title for c in a.cases or (a.best,)))) for a in ordered])
        self.errors = dict(errors)
        # How much an exact match says: 1 / articles sharing the string, or sharing its most specific code
        # (`HTTP 401` in one article says no more than the `401` that several articles show).
        self.specificity = {s: 1 / max(len(docs), min((len(errors[c]) for c in codes[s]), default=1)) for s, docs in errors.items()}
        self.coded = frozenset(s for s in errors if codes[s])
        """The error strings that are or hold a code (``0xc0000005``, ``HTTP 401``), not words alone (``"i get"``)."""
        self._prepare()

    def _prepare(self) -> None:
        self.error_words = max((len(s.split()) for s in self.errors), default=0)

    def __len__(self) -> int:
        return len(self.rows)

    def idf(self, term: str, matrix: Matrix | None = None) -> float:
        """bm25s' (Lucene's) idf; a term no article uses has the highest."""
        n, df = len(self.rows), (matrix or self.body).df(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def query_terms(self, query: str | Draft) -> dict[str, float]:
        """Query term -> weight: how often it occurs, title words :data:`QUERY_TITLE_WEIGHT` times."""
        draft = query if isinstance(query, Draft) else Draft("", query)
        counts: dict[str, float] = defaultdict(float)
        for term in tokenize(draft.title):
            counts[term] += QUERY_TITLE_WEIGHT
        for term in tokenize(draft.text):
            counts[term] += 1
        return dict(counts)

    def error_matches(self, query: str | Draft, coded: bool = False) -> dict[int, float]:
        """Article -> specificity of its best exact error-string match in the query (every run of its words);
        with ``coded``, of those that are or hold a code only (:attr:`coded`)."""
        words = _norm(str(query)).split()
        found: dict[int, float] = {}
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + self.error_words) + 1):
                s = " ".join(words[start:end])
                if s in self.errors and (not coded or s in self.coded):
                    for i in self.errors[s]:
                        found[i] = max(found.get(i, 0.0), self.specificity[s])
        return found

    def scores(self, query: str | Draft, errors: dict[int, float] | None = None) -> dict[int, float]:
        """Article (position in :attr:`entries`) -> score for ``query``, for the articles sharing something with it.

        ``errors``: :meth:`error_matches` of the query, when the caller has them already."""
        text: dict[int, float] = {}
        terms = self.query_terms(query)
        best = sum(w * self.idf(t) for t, w in terms.items())
        title_best = sum(w * self.idf(t, self.titles) for t, w in terms.items())
        if not best:
            return text
        for term in sorted(terms):  # a fixed order: float sums, and so ties, do not depend on the query's word order
            self.body.add(text, term, terms[term] / best / (1 + TITLE_MATCH))
            if TITLE_MATCH:
                self.titles.add(text, term, terms[term] / title_best * TITLE_MATCH / (1 + TITLE_MATCH))
        for i, e in (self.error_matches(query) if errors is None else errors).items():
            if i in text:
                text[i] *= 1 + ERROR_WEIGHT * e
        return {i: round(min(v, 1.0), 12) for i, v in text.items()}  # rounding keeps equal scores equal (ties then go by id)

    def search(self, query: str | Draft, limit: int = 10, tail: float | None = None, exclude: Iterable[str] = (),
               semantic: bool | None = None) -> list[tuple[Entry, float]]:
        """Best first (ties by article id), down to ``tail`` times the best score.

        Articles whose id is in ``exclude`` are left out (a draft that is already published is not its own duplicate).
        With ``semantic`` (by default: when the model is installed, :func:`kbgen.semantic.available`), the same list
        (its :data:`POOL` best, or ``limit`` if more) is re-ordered by the sentence-embedding model
        (:mod:`kbgen.semantic`): scored by its cosine similarity (below 0 counts as 0), lifted by an exact error code
        (:meth:`by_meaning`)."""
        if limit <= 0 or not self.rows:
            return []
        skip = set(exclude)
        errors = self.error_matches(query)
        score = {i: v for i, v in self.scores(query, errors).items() if v > 0 and (not skip or self.rows[i][0] not in skip)}
        if not score:
            return []
        floor = max(score.values()) * (TAIL if tail is None else tail)
        order = [i for i in sorted(score, key=lambda i: (-score[i], i)) if score[i] >= floor]
        if semantic is None:
            from . import semantic as model

            semantic = model.available()
        if semantic:  # the same list, in the model's order: what the tail cut left, up to its pool
            order = order[: max(limit, POOL)]
            score = self.by_meaning(str(query), order, self.error_matches(query, coded=True))
            order.sort(key=lambda i: (-score[i], i))
        return [(self.entry(i), score[i]) for i in order[:limit]]

    def by_meaning(self, query: str, articles: Sequence[int], errors: dict[int, float]) -> dict[int, float]:
        """Article -> score by meaning: the cosine similarity of query and article (below 0 counts as 0), lifted
        towards 1 by an exact error string, ``1 - (1 - cosine) * (1 - ERROR_WEIGHT * specificity)``.

        :meth:`search` passes the strings that are or hold a code only (``error_matches(query, coded=True)``): a code
        such as ``0xc0000005`` means nothing to the model, but an article that shows it is about that crash; quoted
        words ("i get", "install ubuntu") the model reads already, and lifting them cost 0.04 recall@3 on the real
        questions (``bench/bench_similar.py``)."""
        lifted = {}
        for i, c in zip(articles, self.cosines(query, articles), strict=True):
            lifted[i] = round(1 - (1 - min(max(c, 0.0), 1.0)) * (1 - min(ERROR_WEIGHT * errors.get(i, 0.0), 1.0)), 12)
        return lifted

    def entry(self, i: int) -> Entry:
        """The ``i``-th article (by id) as a result shows it."""
        return Entry(*map(str, self.rows[i]))

    def text(self, i: int) -> str:
        """The ``i``-th article's symptoms (:func:`symptom_text`), what the semantic re-ranker reads; a saved index
        reads them from its folder the first time (only ``--semantic`` needs them)."""
        if self._texts is None:
            assert self._folder is not None
            try:
                texts = json.loads((self._folder / "texts.json").read_text(encoding="utf-8"))
                if not isinstance(texts, list) or len(texts) != len(self.rows):
                    raise ValueError("not one text an article")
            except (OSError, ValueError) as exc:
                raise ValueError(f"{self._folder}: the saved article texts are damaged ({exc})") from exc
            self._texts = [str(t) for t in texts]
        return self._texts[i]

    def cosines(self, query: str, articles: Sequence[int]) -> list[float]:
        """Cosine similarity (-1..1) of ``query`` to each of ``articles`` by the sentence-embedding model: the query
        is embedded now, the articles were at index time (or now, for an index saved without the model)."""
        from . import semantic as model

        q = model.encode([query])[0]
        if self._vectors is None and self._folder is not None and (self._folder / "vectors.npy").is_file():
            self._vectors = self._load_vectors(self._folder)
        if self._vectors is not None:
            return [float(c) for c in self._vectors[list(articles)] @ q]
        return [float(c) for c in model.encode([self.text(i) for i in articles]) @ q]

    def embed(self, store: Path | None = None, progress: Progress | None = None) -> None:
        """Embed every article (:func:`symptom_text`) for :meth:`save`; ``store`` keeps vectors by text, so
        indexing again after an edit embeds only the changed articles (:func:`kbgen.semantic.encode_cached`)."""
        from . import semantic as model

        if self._vectors is None:
            self._vectors = model.encode_cached([self.text(i) for i in range(len(self.rows))], store, progress)

    def _load_vectors(self, folder: Path) -> NDArray[np.float32]:
        import numpy as np

        try:
            vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)  # only the listed rows are read
        except (OSError, ValueError) as exc:
            raise ValueError(f"{folder}: the saved article vectors are damaged ({exc})") from exc
        if vectors.ndim != 2 or vectors.shape[0] != len(self.rows) or vectors.dtype != np.float32:
            raise ValueError(f"{folder}: the saved article vectors are damaged (shape {vectors.shape}, {vectors.dtype})")
        return vectors

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (created): raw arrays and JSON only; the article vectors when :meth:`embed` made them."""
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "byteorder": sys.byteorder, "entries": self.rows,
                "body": self.body.save(folder, "body"), "titles": self.titles.save(folder, "titles"),
                "errors": self.errors, "specificity": self.specificity, "coded": sorted(self.coded)}
        (folder / "index.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        texts = [self.text(i) for i in range(len(self.rows))]
        (folder / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        if self._vectors is not None:
            import numpy as np

            np.save(folder / "vectors.npy", np.ascontiguousarray(self._vectors, dtype=np.float32), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> Index:
        """An index saved by :meth:`save`; ValueError when the folder does not hold one of this version."""
        try:
            meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT or meta.get("byteorder") != sys.byteorder:
                raise ValueError(f"{folder}: index format {meta.get('format')}, expected {FORMAT} ({sys.byteorder}-endian)")
            index = cls.__new__(cls)
            # Entries stay JSON lists until a result shows one (:meth:`entry`): 10,000 objects cost more than a query.
            index.rows = meta["entries"]
            index._texts, index._folder, index._vectors = None, folder, None
            if not isinstance(index.rows, list) or not all(type(r) is list and len(r) == 3 for r in index.rows):
                raise TypeError("entries are not [id, title, url] lists")
            index.body = Matrix.load(folder, "body", {str(k): int(v) for k, v in meta["body"].items()}, len(index.rows))
            index.titles = Matrix.load(folder, "titles", {str(k): int(v) for k, v in meta["titles"].items()}, len(index.rows))
            index.errors = {str(k): [int(i) for i in v] for k, v in meta["errors"].items()}
            index.specificity = {str(k): float(v) for k, v in meta["specificity"].items()}
            index.coded = frozenset(map(str, meta["coded"]))
        except (OSError, KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{folder}: not a saved similar index ({exc})") from exc
        index._prepare()
        return index


@dataclass(frozen=True)
class Setup:
    """What ``kbgen similar`` needs of mkdocs.yml, recorded so that an unchanged configuration is not loaded again
    (loading it imports MkDocs, Material and every plugin: most of a call's time)."""

    settings: str
    """The pipeline options as text (``repr``, the date left out): part of the index's content key."""
    cases_dir: str
    root_causes: str
    site_url: str


_INHERIT = re.compile(r"^INHERIT:[ \t]*(['\"]?)(.+?)\1[ \t]*(?:#.*)?$", re.MULTILINE)
_ENV_TAG = re.compile(r"!ENV\s*(\[[^\]]*\]|\S+)")


def config_fingerprint(config_file: Path) -> str | None:
    """A hash of everything loading ``config_file`` depends on, or None when it cannot be read.

    That is the file's absolute path and bytes, those of the files it ``INHERIT``s, the kbgen version, and the
    environment variables that can change the result: ``KBGEN_*`` and every name after an ``!ENV`` tag.
    Whatever else changes (a case, root causes) is in the index's own content key."""
    parts = [__version__, str(FORMAT)]
    names: set[str] = set()
    path, seen = config_file.resolve(), set[Path]()
    while path not in seen and len(seen) < 10:
        seen.add(path)
        try:
            text = path.read_bytes()
        except OSError:
            return None
        parts += [str(path), hashlib.blake2b(text, digest_size=16).hexdigest()]
        decoded = text.decode("utf-8", "replace")
        names.update(n for tag in _ENV_TAG.findall(decoded) for n in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", tag))
        parent = _INHERIT.search(decoded)
        if not parent:
            break
        path = (path.parent / parent.group(2).strip()).resolve()
    names.update(n for n in os.environ if n.startswith("KBGEN_"))
    parts += [f"{n}={os.environ.get(n)!r}" for n in sorted(names)]
    return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).hexdigest()


def recorded_setup(cache_dir: Path, fingerprint: str | None) -> Setup | None:
    """The setup :func:`record_setup` kept for this fingerprint, else None (load the configuration)."""
    if fingerprint is None:
        return None
    try:
        data = json.loads((cache_dir / "setup.json").read_text(encoding="utf-8"))
        if data.get("fingerprint") == fingerprint:
            return Setup(**{k: str(data[k]) for k in ("settings", "cases_dir", "root_causes", "site_url")})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def record_setup(cache_dir: Path, fingerprint: str | None, setup: Setup) -> None:
    """Keep ``setup`` for the next call; a read-only checkout just loads the configuration every time."""
    if fingerprint is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".setup.json.{os.getpid()}"
        tmp.write_text(json.dumps({"fingerprint": fingerprint, **dataclasses.asdict(setup)}), encoding="utf-8")
        os.replace(tmp, cache_dir / "setup.json")
    except OSError:
        pass


def input_files(cases_dir: Path | str, *others: Path | str) -> list[str]:
    """Every file the pipeline may read: ``*.md`` under the cases folder (as :func:`load.iter_case_files`
    finds them: symlinked folders are not entered) and ``others``. Plain strings from os.walk: at 10,000
    files pathlib's objects cost more than the answer. :func:`content_key` skips what is not a file."""
    return [*(os.path.join(top, name) for top, _, names in os.walk(cases_dir) for name in names if name.endswith(".md")), *map(str, others)]


RACY_NS = 2_000_000_000
"""A recorded file changed less than this long before its record was written may change again within the
same timestamp: it is hashed again next time (git's "racy clean" rule)."""


def content_key(settings: str, files: Iterable[str], manifest: Path | None = None) -> str:
    """A hash of everything the published articles depend on: the pipeline settings (:attr:`Setup.settings`:
    an option change rebuilds too), every input file's path and content, the kbgen version and index :data:`FORMAT`.

    With ``manifest`` (a JSON file kbgen keeps), a file whose size and modification time are those recorded
    there is not read again: its recorded hash is used, as git's index does. Any edit changes the time; a file
    only touched is read and hashes the same. A missing file hashes differently from an empty one.

    When every file's path, size and time are those of the last call and all of them are older than that call's
    record (:data:`RACY_NS`), the last call's key is the answer: it is kept beside the manifest with a hash of
    those stats (:func:`_stat_key`), so an unchanged knowledge base costs one ``stat`` a file, not a read of the
    manifest (10,000 entries) and a lookup for each file."""
    now = time.time_ns()
    stats: list[tuple[str, os.stat_result | None]] = []
    for name in sorted(files):
        try:
            st: os.stat_result | None = os.stat(name)
        except OSError:
            st = None
        if st is None or stat.S_ISREG(st.st_mode):
            stats.append((name, st))
    signature = _stat_key(settings, stats)
    newest = max((st.st_mtime_ns for _, st in stats if st is not None), default=0)
    quick = manifest.with_name(f"{manifest.stem}-key.json") if manifest is not None else None
    if quick is not None:
        try:
            last = json.loads(quick.read_text(encoding="utf-8"))
            if last["stats"] == signature and newest < int(last["written"]) - RACY_NS and isinstance(last["key"], str):
                return last["key"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    key, trusted = _hash_contents(settings, stats, manifest, now)
    if quick is not None and trusted:  # an unreadable file may become readable without a new time: not kept
        _write_json(quick, {"written": now, "stats": signature, "key": key})
    return key


def _stat_key(settings: str, stats: Sequence[tuple[str, os.stat_result | None]]) -> str:
    """A hash of the settings and of every file's path, size and modification time (what :func:`content_key` trusts)."""
    parts = [f"{FORMAT}\0{__version__}\0{settings}"]
    parts += [f"{name}\0missing" if st is None else f"{name}\0{st.st_size}\0{st.st_mtime_ns}" for name, st in stats]
    return hashlib.blake2b("\0\0".join(parts).encode(), digest_size=16).hexdigest()


def _hash_contents(settings: str, stats: Sequence[tuple[str, os.stat_result | None]], manifest: Path | None, now: int) -> tuple[str, bool]:
    """:func:`content_key` from each file's content hash (read again unless the manifest's record of it is trusted),
    and whether every file could be read."""
    try:
        known = json.loads(manifest.read_text(encoding="utf-8")) if manifest else {}
        written, recorded = int(known["written"]), dict(known["files"])
        if not all(isinstance(v, list) and len(v) == 3 for v in recorded.values()):
            raise ValueError("damaged manifest")
    except (OSError, ValueError, KeyError, TypeError):
        written, recorded = 0, {}
    parts = [f"{FORMAT}\0{__version__}\0{settings}"]
    fresh: dict[str, list[object]] = {}
    read, readable = False, True
    for name, st in stats:
        if st is None:
            parts.append(f"{name}\0missing")
            continue
        old = recorded.get(name)
        if old and old[0] == st.st_size and old[1] == st.st_mtime_ns and st.st_mtime_ns < written - RACY_NS:
            digest = str(old[2])
        else:
            read = True
            try:
                with open(name, "rb") as f:
                    digest = hashlib.blake2b(f.read(), digest_size=16).hexdigest()
            except OSError:
                parts.append(f"{name}\0unreadable")
                readable = False
                continue
        fresh[name] = [st.st_size, st.st_mtime_ns, digest]
        parts.append(f"{name}\0{digest}")
    # Rewritten whenever a file had to be read, even to the same hash: a file that was too new to trust
    # ("racy") is trusted once a record written later than it exists, instead of being read on every call.
    if manifest is not None and (read or fresh != recorded):
        _write_json(manifest, {"written": now, "files": fresh})
    return hashlib.blake2b("\0\0".join(parts).encode(), digest_size=16).hexdigest(), readable


def _write_json(file: Path, data: object) -> None:
    """Replace ``file`` whole (a reader never sees half of it); a read-only checkout just keeps no record."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f".{file.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, file)
    except OSError:
        pass


def cached_index(cache_dir: Path, key: str, build: Callable[[], Sequence[Article]]) -> Index:
    """The index saved under ``cache_dir`` for ``key``, or one built from ``build()`` and saved there.

    The folder's name is the key, so an index of other content is never read; older folders are removed.
    A cache that cannot be read or written is rebuilt or skipped, never an error."""
    from . import semantic

    meaning = semantic.available()
    folder = cache_dir / f"similar-{key}"
    if folder.is_dir():
        try:
            # An index saved before the model was installed has no vectors: made again once, with them.
            if not meaning or (folder / "vectors.npy").is_file():
                return Index.load(folder)
        except ValueError:
            pass
        shutil.rmtree(folder, ignore_errors=True)
    index = Index(build())
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".similar-", dir=cache_dir))
    except OSError:
        return index  # a read-only checkout still answers (embedding only the listed articles), just not faster next time
    try:
        if meaning:  # every article's vector, so that a call embeds only its query
            from .progress import terminal_progress

            show = terminal_progress()  # a whole knowledge base takes minutes: a person watching sees it move
            index.embed(cache_dir / "vectors", show)
            if show:
                sys.stderr.write("\n")
        index.save(tmp)
        tmp.rename(folder)  # whole or not at all: a reader never sees a half-written index
    except OSError:  # no room, or another call saved the same index first
        shutil.rmtree(tmp, ignore_errors=True)
    for old in cache_dir.glob("similar-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return index


def discard(cache_dir: Path, key: str) -> None:
    """Remove the index saved for ``key`` (found damaged when read): the next :func:`cached_index` builds it again."""
    shutil.rmtree(cache_dir / f"similar-{key}", ignore_errors=True)


def symptom_text(article: Article) -> str:
    """An article's titles (shown and merged, once each) and its cases' problems: what a customer would describe."""
    cases: Sequence[Case] = article.cases or (article.best,)
    titles = dict.fromkeys([article.best.title, *(c.title for c in cases)])
    return "\n".join([*titles, *(c.problem for c in cases)])


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


def search(articles: Sequence[Article], query: str | Draft, limit: int = 10) -> list[tuple[Entry, float]]:
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
    return str(parse_draft(text))


_MAYBE_MARKUP = re.compile(r"^ {0,3}(?:#{1,2}(?:[ \t\f\v]|$)|=+[ \t\f\v]*$|-+[ \t\f\v]*$)", re.MULTILINE)
"""A line that may start a heading (ATX h1/h2, or a setext underline): free text without one has no sections."""


def parse_draft(text: str) -> Draft:
    """:func:`draft_query`'s text, with the draft's title apart (it counts more); free text has no title."""
    text = text.lstrip("\ufeff")
    if "<!--" not in text and not _MAYBE_MARKUP.search(text.replace("\r\n", "\n").replace("\r", "\n")):
        # Free text with no front matter, comment or heading comes back whole: the case-file parser (Markdown,
        # YAML) is not even imported, which is most of what a `kbgen similar "TEXT"` call would cost.
        return Draft("", text.strip())
    return _parse_case_draft(text)


def _parse_case_draft(text: str) -> Draft:
    """:func:`parse_draft` on the build's own front matter, comment and section rules."""
    from . import load

    meta, body = _front_matter(text)
    body, _ = load.strip_comments(body, "", 1)
    title = str(meta["title"]).strip() if meta.get("title") else ""
    parts = [str(meta[k]) for k in ("product", "component") if meta.get(k)]
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
    own = str(meta["id"]).strip() if meta.get("id") else ""
    return Draft(title, "\n".join(p.strip() for p in parts if p.strip()), own)


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    import yaml

    from . import load

    front, body, _, _ = load.split_front_matter(text, "")
    if front is None:
        return {}, text
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError:  # a broken draft still has a title worth searching for
        meta = dict(re.findall(r"^(title|product|component):[ \t]*(.+)$", front, re.MULTILINE))
    return (meta if isinstance(meta, dict) else {}), body
