"""Dedupe stage: cases (internal ones too) -> groups of duplicate cases, one article per group.

Two cases are duplicates when they describe the same issue and an agent copied the fix
and edited it a little (steps reordered or reworded, a version or path changed, a typo,
a step added). Real fixes reuse a few generic moves (sign out and in, restart a service,
clear the cache), so the solution alone cannot tell problems apart: the problem must
agree too (KCS: one article per issue plus resolution).

**Text.** Solution, and Problem (title plus the Problem section), become word sets:
lower case, Markdown markup, list numbers, standalone numbers and a few English stop
words dropped; the problem keeps its versions ("v4.2.0"), its error codes (``#e8780``:
code-shaped tokens such as E8780, 0x80070005, ERR_CERT_INVALID, and tokens with a digit
inside a quoted message such as `HTTP 401`) and, apart, the words of the short messages it
quotes (at most ``MESSAGE_WORDS``). A word one deleted letter away from a more common
word of the product is read as that word (typos).

**Weights** (:class:`_Weights`, per product): a word weighs
``(log(1 + N/df) / log(1 + N)) ** IDF_POWER`` with ``N`` the number of different problems
and ``df`` how many use the word, so a step every problem shares counts for little and a
setting, file or code one problem uses counts 1. A problem is counted once however many
copies it has: cases quoting the same codes are one problem, cases without codes count
once per distinct problem text (copies that reword the problem count again: an
under-estimate of how specific a word is, never an over-estimate).

**Score** (0-100, :func:`score_pair`). ``problem`` is the mean of weighted Dice (edits) and
weighted overlap (something added): shared weight over the total, and over the smaller
side. ``solution`` is the same, blended (``FUZZY_SHARE``) with rapidfuzz's ``ratio`` on the
sorted words, so reworded steps lose characters rather than whole words. When only one
problem quotes codes, its codes leave its weight (the other does not contradict them);
when both quote a shared code, ``problem`` is at least ``SHARED_CODE_PROBLEM``. With ``m``
the smaller solution weight and ``w = m / (m + SPECIFIC_MASS)``::

    score = min(w * solution + (1 - w) * problem,  100 - stretch * (100 - solution))

A specific fix (high ``m``) decides by itself; a generic one leaves the decision to the
problem. The second term keeps the fix near-identical whatever the problem says
(``stretch`` = ``SOLUTION_STRETCH``, or 1 when both quote a shared error code, strong
evidence of one issue). Two problems that both quote error codes and share none, or both
quote messages without a common word (and no common code), **never merge
automatically**: their problem counts 0 and the pair is blocked even above the threshold
(it is listed as a near miss for a person, who can still write ``duplicate_of``). Cases of
different products never match. ``DEFAULT_THRESHOLD`` and the constants below were chosen
together on the labelled pairs in ``tests/data/dedupe_pairs.yml`` (judged with weights
from the whole set: IDF needs a corpus; the test prints precision and recall), the
generator's truth (``bench/bench_dedupe.py``), a sample of 40 problems sharing generic
steps and real AskUbuntu questions (``tests/test_dedupe.py``). When they disagreed,
precision won.

**Scale.** Cases with the same word sets share one text and score 100; everything below
works on distinct texts. Candidates: each text is indexed under its rarest shared features
(an error code, a setting, a file) and a few hashed ones (a bottom-k MinHash sketch); each
index list is sorted by sketch and only neighbours in it are scored, so candidates and
their scores grow linearly. Candidate pairs over the threshold (and not blocked) link
texts into components.

**Groups: every member agrees with every other.** A component is grouped in blocks of at
most ``BLOCK_TEXTS`` distinct texts; one that fits (every component of the generated
100,000 cases does: the top problem's 14,001 copies are 324 texts) is one block. For each
block the scores of all its distinct texts are computed at once (numpy, rows in blocks).
If every pair agrees (>= threshold, no blocked pair, no ``not_duplicate_of``), the block
is one group; otherwise the node in most disagreeing pairs (counted in cases) is peeled
off until the rest agrees, and the peeled nodes are grouped the same way. A chain A~B~C
keeps the two that agree and drops the far end; the top problem loses only stragglers.
The group's lowest pair score is read off the same matrix: exact, not an estimate.

A component bigger than a block (one problem whose copies all differ a little:
``bench/generate.py --shape huge``) is first split by a cheap exact key, the error codes
and quoted messages of its problems (texts quoting different codes can never share a
group), a text quoting none going with its best agreeing neighbour's; keys are packed
whole into blocks while they fit, a bigger key is cut in canonical order. Groups never
span blocks, so every group keeps the guarantee and its exact lowest score, and the work
is at most ``BLOCK_TEXTS`` squared per block: linear in the texts, memory bounded by one
block. The price: a problem of more than ``BLOCK_TEXTS`` distinct texts becomes several
articles (a missed merge, never a wrong one). Only a ``duplicate_of`` unit with more
distinct texts than a block is scored whole (people write those one by one).
``bench/bench_dedupe_scale.py`` shows time and memory at N, 2N and 4N.

**Overrides.** Cases linked by ``duplicate_of`` (followed to the end of the chain) form
units that are never split; a unit is placed by the words of the case it points at.
``duplicate_of`` wins over similarity and over a conflicting ``not_duplicate_of`` (with a
warning); ``not_duplicate_of`` wins over similarity; a ``duplicate_of`` to a case that is
not among the public cases is ignored with a warning.

**Canonical** (the article's id and URL): among the public members if there is one (so
an article has the same URL in the public and the team's edition), among those that a
``duplicate_of`` points at, else among all of them: the earliest resolved, ties by
lower-cased id, then id. New cases resolve later, so URLs stay stable as cases arrive.

**Best** (whose text the article shows): the most complete solution (most words after
normalising), ties by the latest resolved (fresher instructions), then lower-cased id.

Nothing depends on the order of the input: cases are sorted by id first.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, combinations
from sys import intern

import numpy as np
from rapidfuzz import fuzz, process

from .cache import Caches, no_cycle_collection
from .models import Case, Diagnostic, Group, NearMiss
from .workers import fork_map

DEFAULT_THRESHOLD = 55.0
"""Pairs scoring at least this much merge; chosen on the labelled pairs (see the test)."""

SPECIFIC_MASS = 6.0
"""A solution whose words weigh this much (a word used by one problem weighs 1) counts as much as the problem."""

SOLUTION_STRETCH = 1.25
"""The score never exceeds ``100 - SOLUTION_STRETCH * (100 - solution)``: however well the problems agree,
the fixes must be near-identical (at the default threshold, a solution similarity of about 64)."""

IDF_POWER = 1.5
"""Word weights are normalised IDF to this power: above 1 sharpens the gap between generic and specific words."""

MESSAGE_WORDS = 12
"""A span in backticks of at most this many words is a message on screen; a longer one is a log or a story."""

SAID_WORDS = 5
"""The same for double quotes, where customers' own words often are."""

SHARED_CODE_PROBLEM = 60.0
"""Two problems quoting the same error code agree at least this much, however differently they are told."""

PROBLEM_OVERLAP = 0.25
"""Share of weighted overlap (against Dice) in the problem similarity."""

FUZZY_SHARE = 0.5
"""Share of rapidfuzz's ratio (on the sorted solution words) in the solution similarity."""

RARE_WORDS = 6
"""Index words per text taken rarest first; more finds more pairs and costs more comparisons."""

HASHED_WORDS = 4
"""Index words per text taken by a fixed hash (a bottom-k MinHash sketch)."""

WINDOW = 3
"""Neighbours scored on each side in every index list."""

PAIR_BATCH = 2048
"""Candidate pairs scored per batch (a worker process's unit of work)."""

BLOCK_TEXTS = 1024
"""Most distinct texts scored all at once (one block); a bigger component is cut into blocks by error codes."""

MATRIX_ROWS = 256
"""Rows of a group's score matrix computed at once: bounds memory, not work."""

_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "if", "in", "into", "is", "it", "its", "of",
    "on", "or", "our", "so", "that", "the", "their", "then", "this", "to", "was", "were", "will", "with", "you",
    "your",
})
_LIST_MARKER = re.compile(r"^[ \t]*(?:\d+[.)]|[-*+])[ \t]+", re.MULTILINE)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_WORD = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r"`([^`\n]+)`|\"([^\"\n]+)\"|“([^”\n]+)”")
_CODE = re.compile(r"\b(?:0[xX][0-9A-Fa-f]{4,}|[A-Z]{1,10}[-_]?\d{3,}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b")
_QUOTED_TOKEN = re.compile(r"[\w-]+(?:\.[\w-]+)*")
_VERSIONS = re.compile(r"\b\d+(?:\.\d+)+\b")  # kept in problems: which release broke is part of the issue
_VERSION = re.compile(r"^v?\d+(?:\.\d+)+$")


@dataclass(frozen=True)
class DedupeResult:
    groups: list[Group]
    near_misses: list[NearMiss]
    diagnostics: list[Diagnostic]
    work: dict[str, int] = field(default_factory=dict, compare=False)  # what it cost, for bench/bench_dedupe.py


@dataclass(frozen=True)
class _Text:
    """One case's text, normalised once (cached between builds)."""

    product: str
    solution: tuple[str, ...]  # distinct words, sorted
    problem: tuple[str, ...]
    codes: frozenset[str]  # error codes the problem quotes
    quoted: frozenset[str]  # words inside quotes or backticks in the problem: the messages it quotes
    words: int  # solution words: how complete the solution is


@dataclass(frozen=True)
class _Rep:
    """What the score sees of a case: typo-fixed word sets. Cases with equal reps score 100."""

    product: str
    solution: frozenset[str]
    problem: frozenset[str]
    codes: frozenset[str]
    quoted: frozenset[str]
    solution_mass: float = field(default=0.0, compare=False)  # total weight of the words
    problem_mass: float = field(default=0.0, compare=False)
    text: str = field(default="", compare=False)  # solution words sorted, for rapidfuzz
    key: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:  # reps are hashed often: once is enough
        object.__setattr__(self, "key", hash((self.product, self.solution, self.problem, self.codes, self.quoted)))

    def __hash__(self) -> int:
        return self.key


def words(markdown: str) -> list[str]:
    """The words that matter in a Markdown text: no markup, list numbers, numbers or stop words."""
    return [w for line in markdown.split("\n") for w in _line_words(line)]


@lru_cache(maxsize=65536)
def _line_words(line: str) -> tuple[str, ...]:
    """:func:`words` of one line, remembered: steps recur from case to case. No pattern here reaches past a line
    end (a list marker is at a line's start, a number or word has no line break in it), so a text's words are
    its lines' words."""
    text = _NUMBER.sub(" ", _LIST_MARKER.sub(" ", line.lower()))
    return tuple(w for w in _WORD.findall(text) if w not in _STOP_WORDS)


def codes(text: str) -> frozenset[str]:
    """Error codes in a problem: code-shaped tokens (E8780, 0x80070005, ERR_CERT_INVALID) anywhere, and
    tokens with a digit inside a quoted message (`HTTP 401`, "SQLSTATE 09829"); versions are not codes."""
    found = {m.upper() for m in _CODE.findall(text)}
    for match in _QUOTED.finditer(text):
        for token in _QUOTED_TOKEN.findall(next(g for g in match.groups() if g)):
            if len(token) >= 3 and any(c.isdigit() for c in token) and not _VERSION.match(token):
                found.add(token.upper())
    return frozenset(found)


def quoted_words(text: str) -> list[str]:
    """The words of the messages a problem quotes: in backticks (where the case format asks for the
    exact error message), or a few words in double quotes ("Indexing"). A longer quote is the
    customer telling the story, not a message on screen, and does not count."""
    out = []
    for match in _QUOTED.finditer(text):
        found = words(next(g for g in match.groups() if g))
        if len(found) <= (MESSAGE_WORDS if match.group(1) else SAID_WORDS):
            out += found
    return out


def _hash(word: str) -> int:
    return zlib.crc32(word.encode())  # stable across runs, unlike hash()


def text_key(case: Case) -> tuple[str, str, str, str]:
    """What a case's normalised texts depend on: ``Caches.prepared`` keeps them by it."""
    return case.product, case.title, case.problem, case.solution


def prepare(case: Case, cache: Caches | None = None) -> _Text:
    """A case's normalised texts; ``cache`` (kept by `kbgen serve`) skips cases whose text did not change."""
    key = text_key(case)
    made = _remembered if sum(map(len, key)) <= REMEMBERED_TEXT else _prepare
    if cache is None:
        return made(*key)
    return cache.prepared.get(key, lambda: made(*key))


REMEMBERED_TEXT = 8_000
"""Case texts (product, title, problem and solution) up to this long are normalised once per process: copies of a
case recur. Longer ones (a pasted log) are normalised each time, so the memory stays bounded."""


def _prepare(product: str, title: str, problem_markdown: str, solution_markdown: str) -> _Text:
    """The texts of :func:`text_key`, normalised."""
    solution = words(solution_markdown)
    problem_text = f"{title}\n{problem_markdown}"
    problem = set(words(problem_text)) | {"v" + v for v in _VERSIONS.findall(problem_text)}
    # interned: the same few thousand words recur in every copy, and 100,000 cases would otherwise hold
    # a string object per word per case (most of dedupe's memory)
    return _Text(intern(product.strip().lower()), tuple(sorted(map(intern, set(solution)))),
                 tuple(sorted(map(intern, problem))), frozenset(map(intern, codes(problem_text))),
                 frozenset(map(intern, quoted_words(problem_text))), len(solution))


_remembered = lru_cache(maxsize=65_536)(_prepare)


# ---------------------------------------------------------------- word weights


def _typo_map(df: Counter[str]) -> dict[str, str]:
    """Words one deleted letter away from a more common word map to it ("acount" -> "account").

    Both are looked up in the product's own vocabulary (linear: one set probe per letter of each
    word). Words with digits are left alone: E1234 and E124 are different codes.
    """
    out: dict[str, str] = {}
    for word in df:
        if len(word) < 5 or not word.isalpha():
            continue
        for k in range(len(word)):
            short = word[:k] + word[k + 1 :]
            if short not in df:
                continue
            keep, drop = (word, short) if (df[word], len(word)) > (df[short], len(short)) else (short, word)
            if drop not in out or (df[keep], keep) > (df[out[drop]], out[drop]):
                out[drop] = keep
    return {w: out.get(to, to) for w, to in out.items()}  # one level of chains


class _Weights:
    """Per product: how specific each word is, from how many different problems use it.

    A problem is counted once however many copies it has: cases quoting the same error codes count
    as one problem, cases without codes once per distinct problem text. A word's weight is
    ``(log(1 + N/df) / log(1 + N)) ** IDF_POWER``: 1 for a word one problem uses, near 0 for a step
    every problem shares ("restart", "cache").
    """

    def __init__(self, texts: Sequence[_Text]) -> None:
        problems: dict[str, dict[object, tuple[set[str], set[str]]]] = defaultdict(dict)
        for text in dict.fromkeys(texts):
            # copies of one problem count once: by the codes they quote, else by the problem as written
            key: object = ("codes", tuple(sorted(text.codes))) if text.codes else ("text", text.problem)
            sol, prob = problems[text.product].setdefault(key, (set(), set()))
            sol.update(text.solution)
            prob.update(text.problem)
        self.fix: dict[str, dict[str, str]] = {}
        self.sol: dict[str, dict[str, float]] = {}
        self.prob: dict[str, dict[str, float]] = {}
        for product, found in problems.items():
            n = len(found)
            sol_df = Counter(w for sol, _ in found.values() for w in sol)
            prob_df = Counter(w for _, prob in found.values() for w in prob)
            fix = self.fix[product] = _typo_map(sol_df + prob_df)
            scale = math.log(1 + n)
            for out, df in ((self.sol, sol_df), (self.prob, prob_df)):
                fixed: Counter[str] = Counter()
                for word, count in df.items():
                    fixed[fix.get(word, word)] += count
                out[product] = {w: (math.log(1 + n / min(c, n)) / scale) ** IDF_POWER for w, c in fixed.items()}

    def rep(self, text: _Text) -> _Rep:
        fix = self.fix.setdefault(text.product, {}).get
        solution = frozenset(map(fix, text.solution, text.solution))  # fix(w, w): the word itself when it is no typo
        problem = frozenset(map(fix, text.problem, text.problem)) | {intern("#" + c.lower()) for c in text.codes}
        # every word gets a weight once, so scoring is plain lookups: an error code, or a word no
        # counted problem uses (score_pair's ``among`` may leave a case out), is as specific as can be
        sol, prob = self.sol.setdefault(text.product, {}), self.prob.setdefault(text.product, {})
        for table, found in ((sol, solution), (prob, problem)):
            if not table.keys() >= found:  # almost always: every word is known
                for word in found:
                    table.setdefault(word, 1.0)
        return _Rep(text.product, solution, problem, text.codes, frozenset(map(fix, text.quoted, text.quoted)),
                    solution_mass=sum(map(sol.__getitem__, solution)), problem_mass=sum(map(prob.__getitem__, problem)),
                    text=" ".join(sorted(solution)))

    def table(self, rep: _Rep, problem: bool) -> dict[str, float]:
        return (self.prob if problem else self.sol)[rep.product]

    def weight(self, rep: _Rep, word: str, problem: bool) -> float:
        return self.table(rep, problem)[word]


def _conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and not (a & b)


def _clash(a: _Rep, b: _Rep) -> str:
    """Why two problems are different issues whatever else they share, or "": both quote error codes
    and share none, or both quote messages without a word in common. Such pairs never merge
    automatically (a person can still say duplicate_of)."""
    if _conflict(a.codes, b.codes):
        return f"different error codes ({', '.join(sorted(a.codes ^ b.codes))})"
    if _conflict(a.quoted, b.quoted) and not a.codes & b.codes:
        return "different error messages"
    return ""


# ---------------------------------------------------------------- the score


def _combine(solution: float, problem: float, mass: float, stretch: float) -> float:
    weight = mass / (mass + SPECIFIC_MASS)
    return max(0.0, min(weight * solution + (1 - weight) * problem, 100 - stretch * (100 - solution)))


def _stretch(a: _Rep, b: _Rep) -> float:
    """A shared error code is strong evidence of one issue: the fix then only has to be similar."""
    return 1.0 if a.codes & b.codes else SOLUTION_STRETCH


class _Scorer:
    """Scores of reps, one pair at a time (candidates) or a whole group at once (numpy)."""

    def __init__(self, weights: _Weights) -> None:
        self.weights = weights

    def mass(self, rep: _Rep, problem: bool = False) -> float:
        return rep.problem_mass if problem else rep.solution_mass

    def _similarity(self, a: _Rep, b: _Rep, problem: bool) -> float:
        """Mean of weighted Dice (edits) and weighted overlap (a sentence added), 0-100.

        When only one problem quotes error codes, its codes leave its weight: the other case does not
        contradict them, it just does not say (absence of evidence).
        """
        ma, mb = self.mass(a, problem), self.mass(b, problem)
        if problem and bool(a.codes) != bool(b.codes):
            ma, mb = ma - len(a.codes), mb - len(b.codes)
        if ma <= 1e-12 or mb <= 1e-12:
            return 0.0
        shared = (a.problem & b.problem) if problem else (a.solution & b.solution)
        both = sum(map(self.weights.table(a, problem).__getitem__, shared))
        overlap = PROBLEM_OVERLAP if problem else 0.5
        # rounding never passes 100
        return min(100.0, 200 * (1 - overlap) * both / (ma + mb) + 100 * overlap * both / min(ma, mb))

    def _solution(self, a: _Rep, b: _Rep) -> float:
        """Weighted similarity, blended with rapidfuzz's ratio on the sorted words: reworded steps
        ("remove the entries" / "delete the items") and typos lose characters, not whole words."""
        weighted = self._similarity(a, b, False)
        if not FUZZY_SHARE:
            return weighted
        return (1 - FUZZY_SHARE) * weighted + FUZZY_SHARE * fuzz.ratio(a.text, b.text)

    def __call__(self, a: _Rep, b: _Rep) -> tuple[float, str]:
        if a.product != b.product:
            return 0.0, "different products"
        if not a.solution or not b.solution:
            return 0.0, "no solution words"
        solution = self._solution(a, b)
        clash = _clash(a, b)
        if clash:
            return (_combine(solution, 0.0, min(self.mass(a), self.mass(b)), SOLUTION_STRETCH),
                    f"solution {solution:.0f}, {clash}")
        problem = self._similarity(a, b, True)
        if a.codes & b.codes:
            problem = max(problem, SHARED_CODE_PROBLEM)
        score = _combine(solution, problem, min(self.mass(a), self.mass(b)), _stretch(a, b))
        return score, f"solution {solution:.0f}, problem {problem:.0f}"

    def matrix(self, reps: Sequence[_Rep]) -> tuple[np.ndarray, np.ndarray]:
        """Every pair's score among reps of one product (K x K) and which pairs quote different codes.

        The same numbers as ``__call__``, computed as weighted word-incidence products; rows are
        done in blocks so memory stays bounded.
        """
        k = len(reps)
        out = np.empty((k, k))
        blocked = np.zeros((k, k), dtype=bool)
        parts = []
        for problem in (False, True):
            vocab = _Numbered()
            rows: list[int] = []
            cols: list[int] = []
            vals: list[float] = []
            for i, rep in enumerate(reps):
                found = rep.problem if problem else rep.solution
                rows += [i] * len(found)
                cols += map(vocab.__getitem__, found)
                vals += map(self.weights.table(rep, problem).__getitem__, found)
            dense = np.zeros((k, max(len(vocab), 1)))
            dense[rows, cols] = vals
            parts.append((dense, (dense > 0).astype(np.float64), np.array([self.mass(r, problem) for r in reps])))
        (sw, sb, smass), (pw, pb, pmass) = parts
        quoting = sorted({(r.codes, r.quoted) for r in reps if r.codes or r.quoted}, key=lambda q: (sorted(q[0]),
                                                                                                   sorted(q[1])))
        quote_id = {q: n for n, q in enumerate(quoting)}
        clash = np.array([[_conflict(a[0], b[0]) or (_conflict(a[1], b[1]) and not a[0] & b[0]) for b in quoting]
                          for a in quoting],
                         dtype=bool).reshape(len(quoting), len(quoting))
        agree = np.array([[bool(a[0] & b[0]) for b in quoting] for a in quoting],
                         dtype=bool).reshape(len(quoting), len(quoting))  # a shared error code
        ids = np.array([quote_id.get((r.codes, r.quoted), -1) for r in reps])
        empty = np.array([not r.solution for r in reps])
        ncodes = np.array([len(r.codes) for r in reps], dtype=np.float64)
        texts = [r.text for r in reps]
        sol_empty = smass <= 1e-12
        coded = ncodes > 0
        for start in range(0, k, MATRIX_ROWS):
            stop = min(k, start + MATRIX_ROWS)
            sol = _blend(sw[start:stop] @ sb.T, smass[start:stop, None], smass[None, :])
            if FUZZY_SHARE:
                ratio = process.cdist(texts[start:stop], texts, scorer=fuzz.ratio, dtype=np.float64)
                sol = (1 - FUZZY_SHARE) * sol + FUZZY_SHARE * np.where(sol_empty[start:stop, None] | sol_empty[None, :],
                                                                       0.0, ratio)
            one_sided = coded[start:stop, None] != coded[None, :]
            prob = _blend(pw[start:stop] @ pb.T, pmass[start:stop, None] - np.where(one_sided, ncodes[start:stop, None], 0),
                          pmass[None, :] - np.where(one_sided, ncodes[None, :], 0), PROBLEM_OVERLAP)
            mass = np.minimum(smass[start:stop, None], smass[None, :])
            block_ids = ids[start:stop]
            conflict = np.zeros((stop - start, k), dtype=bool)
            stretch = np.full((stop - start, k), SOLUTION_STRETCH)
            if len(quoting):
                has = (block_ids[:, None] >= 0) & (ids[None, :] >= 0)
                cell = (np.maximum(block_ids, 0)[:, None], np.maximum(ids, 0)[None, :])
                conflict = has & clash[cell]
                shared = has & agree[cell]
                stretch = np.where(shared, 1.0, SOLUTION_STRETCH)
                prob = np.where(shared, np.maximum(prob, SHARED_CODE_PROBLEM), prob)
            prob = np.where(conflict, 0.0, prob)
            weight = mass / (mass + SPECIFIC_MASS)
            block = np.maximum(0.0, np.minimum(weight * sol + (1 - weight) * prob, 100 - stretch * (100 - sol)))
            block[empty[start:stop], :] = 0.0
            block[:, empty] = 0.0
            out[start:stop] = block
            blocked[start:stop] = conflict
        return out, blocked


class _Numbered(dict[str, int]):
    """Words numbered in the order they are first seen."""

    def __missing__(self, word: str) -> int:
        number = self[word] = len(self)
        return number


def _blend(both: np.ndarray, rows: np.ndarray, cols: np.ndarray, overlap: float = 0.5) -> np.ndarray:
    """``_Scorer._similarity`` for a block of pairs: ``both`` holds the weight of the shared words,
    ``rows`` and ``cols`` each side's weight (broadcast to the block)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 200 * (1 - overlap) * both / (rows + cols) + 100 * overlap * both / np.minimum(rows, cols)
    return np.where((rows > 1e-12) & (cols > 1e-12), np.minimum(np.nan_to_num(value), 100.0), 0.0)


def pair_scorer(cases: Iterable[Case]) -> Callable[[Case, Case], tuple[float, str]]:
    """``score_pair`` with word weights taken once from ``cases``, for scoring many pairs of them."""
    weights = _Weights([prepare(c) for c in cases])
    scorer = _Scorer(weights)
    return lambda a, b: scorer(weights.rep(prepare(a)), weights.rep(prepare(b)))


def score_pair(a: Case, b: Case, among: Sequence[Case] | None = None) -> tuple[float, str]:
    """How alike two cases are (0-100) and why, e.g. ``(81.5, "solution 93, problem 71")``.

    Word weights come from ``among`` (default: the two cases), as ``dedupe`` takes them from all
    the cases it is given.
    """
    return pair_scorer(among if among is not None else (a, b))(a, b)


# ---------------------------------------------------------------- candidates


class _Marked(dict[str, str]):
    """Problem words marked ``p:`` (a solution word never holds a colon), each made once, not once per text."""

    def __missing__(self, word: str) -> str:
        marked = self[word] = "p:" + word
        return marked


def _features(rep: _Rep, marked: _Marked) -> Iterator[str]:
    """A text's index features, each once: solution words, and problem words marked ``p:``."""
    return chain(rep.solution, map(marked.__getitem__, rep.problem))


class _Rank(dict[str, int]):
    """Features numbered in the order of a sort key, so a text's features are sorted by plain lookups."""

    def __init__(self, features: Iterable[str], key: Callable[[str], tuple[int, str]]) -> None:
        super().__init__((f, n) for n, f in enumerate(sorted(features, key=key)))


def _by_count(count: Counter[str]) -> Callable[[str], tuple[int, str]]:
    return lambda f: (count[f], f)


def candidate_pairs(reps: Sequence[_Rep]) -> np.ndarray:
    """Pairs worth scoring, as a sorted array of ``(i, j)`` rows with ``i < j``: neighbours in the index
    list of each sketch word, per product.

    Each text is indexed under its rarest features shared with another text (an error code, a
    setting, a file name) and a few picked by a fixed hash (a bottom-k MinHash sketch, for copies
    whose rare words were edited). Each list is sorted by sketch and only near neighbours in it are
    scored, so the work grows linearly with the number of distinct texts. Features are walked, not
    kept per text, and pairs are packed in int64: at 100,000 cases sets of them cost 100 MB.
    """
    marked = _Marked()
    df: dict[str, Counter[str]] = defaultdict(Counter)
    for rep in reps:
        df[rep.product].update(_features(rep, marked))
    # per product: features by (how many texts use it, the feature), and the shared ones; and all by (hash, feature)
    rare_rank = {product: _Rank(count, _by_count(count)) for product, count in df.items()}
    shared = {product: {f for f, n in count.items() if n > 1} for product, count in df.items()}
    hash_rank = _Rank({f for count in df.values() for f in count}, lambda f: (_hash(f), f))
    del df
    sketches = []
    for rep in reps:
        found = list(filter(shared[rep.product].__contains__, _features(rep, marked)))
        rare = sorted(found, key=rare_rank[rep.product].__getitem__)[:RARE_WORDS]
        hashed = sorted(found, key=hash_rank.__getitem__)[:HASHED_WORDS]
        sketches.append(tuple(dict.fromkeys(rare + hashed)))
    del rare_rank, hash_rank, shared
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in sorted(range(len(reps)), key=lambda i: (sketches[i], i)):  # each list comes out sorted: alike sketches side by side
        product = reps[i].product
        for feature in sketches[i]:
            index[(product, feature)].append(i)
    n = len(reps)
    lists = [members for members in index.values() if len(members) > 1]
    if not lists:
        return np.zeros((0, 2), dtype=np.int64)
    flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64)
    which = np.repeat(np.arange(len(lists)), [len(members) for members in lists])
    found_codes = []
    for step in range(1, WINDOW + 1):  # each text with the next WINDOW texts of its list
        same = which[:-step] == which[step:]
        a, b = flat[:-step][same], flat[step:][same]
        found_codes.append(np.minimum(a, b) * n + np.maximum(a, b))
    codes = np.unique(np.concatenate(found_codes))
    return np.stack([codes // n, codes % n], axis=1)


def all_pairs(reps: Sequence[_Rep]) -> np.ndarray:
    """Every pair within a product, rows sorted: the exhaustive reference the benchmark compares against."""
    by_product: dict[str, list[int]] = defaultdict(list)
    for i, rep in enumerate(reps):
        by_product[rep.product].append(i)
    pairs = sorted(pair for members in by_product.values() for pair in combinations(members, 2))
    return np.array(pairs, dtype=np.int64).reshape(len(pairs), 2)


# ---------------------------------------------------------------- overrides and groups


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], i: int, j: int) -> None:
    ri, rj = _find(parent, i), _find(parent, j)
    if ri != rj:
        parent[max(ri, rj)] = min(ri, rj)


def _buckets(parent: list[int]) -> list[list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for i in range(len(parent)):
        out[_find(parent, i)].append(i)
    return [out[root] for root in sorted(out)]


def _overrides(cases: Sequence[Case]) -> tuple[dict[int, int], dict[int, set[int]], list[Diagnostic]]:
    """duplicate_of as index -> index, not_duplicate_of as symmetric index sets, warnings."""
    index = {c.id.lower(): i for i, c in enumerate(cases)}
    target: dict[int, int] = {}
    apart: dict[int, set[int]] = defaultdict(set)
    problems: list[Diagnostic] = []
    for i, case in enumerate(cases):
        if case.duplicate_of:
            j = index.get(case.duplicate_of.lower())
            if j is None:
                problems.append(Diagnostic(case.path, case.line, "warning",
                                           f"duplicate_of '{case.duplicate_of}' is not a published case; "
                                           "the override is ignored"))
            elif j != i:
                target[i] = j
        for other in case.not_duplicate_of:
            k = index.get(other.lower())
            if k is not None and k != i:
                apart[i].add(k)
                apart[k].add(i)
    return target, apart, problems


@dataclass
class _Unit:
    """Cases a human tied together with duplicate_of; ``rep`` is the one they point at."""

    rep: int
    members: list[int]
    pointed: bool  # someone points at rep


def _units(n: int, target: dict[int, int]) -> list[_Unit]:
    parent = list(range(n))
    for i, j in target.items():
        _union(parent, i, j)
    units = []
    for members in _buckets(parent):
        rep = members[0]
        seen = {rep}
        while rep in target and target[rep] not in seen:  # validation rejects cycles; never loop anyway
            rep = target[rep]
            seen.add(rep)
        units.append(_Unit(rep, members, len(members) > 1))
    return units


def _conflicts(units: list[_Unit], cases: Sequence[Case]) -> list[Diagnostic]:
    """A not_duplicate_of between cases that duplicate_of links put in one unit: warn, duplicate_of wins."""
    problems = []
    for unit in units:
        if len(unit.members) == 1:
            continue
        inside = {cases[m].id.lower(): m for m in unit.members}  # what each case declares, not every pair
        for m in sorted(unit.members):
            declared = {o.lower() for o in cases[m].not_duplicate_of}
            for other in sorted(inside[o] for o in declared if o in inside):
                problems.append(Diagnostic(cases[m].path, cases[m].line, "warning",
                                           f"not_duplicate_of '{cases[other].id}' conflicts with duplicate_of "
                                           "links that put both cases in one group; duplicate_of wins"))
    return problems


@dataclass
class _Node:
    """Cases that join or leave a group together: a duplicate_of unit, or cases with the same words."""

    first: int  # the case whose words stand for the node
    members: list[int]
    pointed: bool
    avoid: set[int]  # cases a not_duplicate_of keeps apart from this node


def _nodes(units: list[_Unit], rid: Sequence[int], apart: dict[int, set[int]], cases: Sequence[Case]) -> list[_Node]:
    nodes: list[_Node] = []
    same: dict[int, _Node] = {}
    for unit in units:
        avoid = set().union(*(apart.get(m, set()) for m in unit.members))
        if len(unit.members) > 1 or avoid or unit.rep in apart:
            nodes.append(_Node(unit.rep, list(unit.members), unit.pointed, avoid))
            continue
        node = same.get(rid[unit.rep])
        if node is None:
            node = same[rid[unit.rep]] = _Node(unit.rep, [], False, set())
            nodes.append(node)
        node.members.append(unit.rep)
    for node in nodes:
        node.first = node.first if node.pointed or len(node.members) == 1 else min(
            node.members, key=lambda m: (cases[m].resolved, cases[m].id.lower(), cases[m].id))
    return nodes


def _split(nodes: list[_Node], pos: dict[int, int], scores: np.ndarray, blocked: np.ndarray, threshold: float,
           rid: Sequence[int], cases: Sequence[Case]) -> list[list[_Node]]:
    """Split a component whose members do not all agree into groups whose members all do.

    Peel: while some pair of nodes disagrees (scores below the threshold, quotes different error
    codes, or a not_duplicate_of), drop the node in most disagreeing pairs (counted in cases; ties:
    the node with fewer cases, then the later one in canonical order). What stays is one group in
    which every pair agrees; the dropped nodes are split the same way. A chain A~B~C thus keeps the
    two that agree and drops the far end, and a group of thousands loses only its stragglers.
    """
    order = sorted(nodes, key=lambda n: (not n.pointed, cases[n.first].resolved, cases[n.first].id.lower(),
                                         cases[n.first].id))
    at = np.array([pos[rid[n.first]] for n in order])
    size = np.array([len(n.members) for n in order], dtype=np.float64)
    bad = (scores[np.ix_(at, at)] < threshold) | blocked[np.ix_(at, at)]
    owner = {m: k for k, n in enumerate(order) for m in n.members}
    for k, n in enumerate(order):
        for other in n.avoid:
            if other in owner:
                bad[k, owner[other]] = bad[owner[other], k] = True
    np.fill_diagonal(bad, False)
    groups: list[list[_Node]] = []
    left = np.arange(len(order))
    while len(left):
        sub = bad[np.ix_(left, left)]
        alive = np.ones(len(left), dtype=bool)
        weight = sub @ size[left]  # disagreeing cases per node
        while True:
            live = np.flatnonzero(alive)
            worst = live[np.lexsort((-live, size[left][live], -weight[live]))[0]] if len(live) else -1
            if worst < 0 or weight[worst] <= 0:
                break
            alive[worst] = False
            weight -= sub[:, worst] * size[left][worst]
            weight[worst] = 0
        groups.append([order[k] for k in left[alive]])
        left = left[~alive]
    return groups


def _code_key(rep: _Rep) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(sorted(rep.codes)), tuple(sorted(rep.quoted))


def _blocks(nodes: list[_Node], rid: Sequence[int], reps: Sequence[_Rep], link: dict[int, tuple[float, int]],
            cases: Sequence[Case]) -> list[list[_Node]]:
    """A component cut into blocks of at most ``cap`` distinct texts, each grouped on its own.

    A component that fits is one block (every pair scored: the exact method). A bigger one is
    first split by a cheap exact key, the error codes and quoted messages of the problem (cases
    quoting different codes can never share a group anyway); a case quoting no code goes with the
    codes of its best agreeing neighbour. Keys are packed whole into blocks in key order while they
    fit, and a key bigger than a block is cut in canonical order. Groups never span two blocks, so
    the work is at most ``cap`` squared per block: linear in the texts. A ``duplicate_of`` unit
    bigger than a block is a block of its own (people write those, one by one).
    """
    cap = BLOCK_TEXTS  # read when called, so a test can make it small
    own = [sorted({rid[m] for m in n.members}) for n in nodes]
    if len({r for texts in own for r in texts}) <= cap:
        return [nodes]
    classes: dict[tuple[tuple[str, ...], tuple[str, ...]], list[int]] = defaultdict(list)
    for k, n in enumerate(nodes):
        rep = reps[rid[n.first]]
        if not rep.codes and rid[n.first] in link:
            rep = reps[-link[rid[n.first]][1]]
        classes[_code_key(rep)].append(k)
    blocks: list[list[_Node]] = []
    current: list[_Node] = []
    seen: set[int] = set()
    for key in sorted(classes):
        members = sorted(classes[key], key=lambda k: (cases[nodes[k].first].resolved, cases[nodes[k].first].id.lower(),
                                                      cases[nodes[k].first].id))
        if current and len(seen) + len({r for k in members for r in own[k]} - seen) > cap:  # a block of its own
            blocks.append(current)
            current, seen = [], set()
        for k in members:
            if current and len(seen) + sum(r not in seen for r in own[k]) > cap:
                blocks.append(current)
                current, seen = [], set()
            current.append(nodes[k])
            seen.update(own[k])
    if current:
        blocks.append(current)
    return blocks


def _group_block(nodes: list[_Node], rid: Sequence[int], reps: Sequence[_Rep], scorer: _Scorer, threshold: float,
                 cases: Sequence[Case]) -> tuple[list[list[_Node]], dict[int, int], np.ndarray, bool]:
    """Groups of one block whose members all agree, with the block's score matrix to read lowest scores off.

    Returns the groups, each text's row in the matrix, the matrix, and whether the block agreed whole.
    """
    everyone = [m for n in nodes for m in n.members]
    at = sorted({rid[m] for m in everyone})
    pos = {r: k for k, r in enumerate(at)}
    if len(at) == 1:  # one text: no matrix needed
        scores, blocked = np.array([[scorer(reps[at[0]], reps[at[0]])[0]]]), np.zeros((1, 1), dtype=bool)
    else:
        scores, blocked = scorer.matrix([reps[r] for r in at])
    if len(nodes) == 1:
        return [nodes], pos, scores, True
    heads = np.array(sorted({pos[rid[n.first]] for n in nodes}))
    inside = np.ix_(heads, heads)
    avoid = set().union(*(n.avoid for n in nodes))
    if float(scores[inside].min()) >= threshold and not blocked[inside].any() and not avoid & set(everyone):
        return [nodes], pos, scores, True
    return _split(nodes, pos, scores, blocked, threshold, rid, cases), pos, scores, False


def _canonical(members: Sequence[int], pointed: set[int], cases: Sequence[Case]) -> int:
    # A public case whenever the group has one, so an article has the same URL in both editions.
    pool = [m for m in members if cases[m].public] or list(members)
    pool = [m for m in pool if m in pointed] or pool
    return min(pool, key=lambda m: (cases[m].resolved, cases[m].id.lower(), cases[m].id))


def _best(members: Sequence[int], cases: Sequence[Case], sizes: Sequence[int]) -> int:
    return min(members, key=lambda m: (-sizes[m], -cases[m].resolved.toordinal(), cases[m].id.lower(),
                                       cases[m].id))


def best_case(cases: Sequence[Case], cache: Caches | None = None) -> Case:
    """The case whose text an article shows, by the rule :func:`_best` applies inside ``dedupe``."""
    return min(cases, key=lambda c: (-prepare(c, cache).words, -c.resolved.toordinal(), c.id.lower(), c.id))


def _lowest(members: Sequence[int], rid: Sequence[int], pos: dict[int, int], scores: np.ndarray) -> float:
    """The exact lowest score of any two members: every pair of distinct texts is in ``scores``."""
    if len(members) == 1:
        return 100.0
    count = Counter(pos[rid[m]] for m in members)
    at = np.array(sorted(count))
    block = scores[np.ix_(at, at)]
    repeated = np.array([count[p] > 1 for p in at.tolist()])
    off = ~np.eye(len(at), dtype=bool) | np.diag(repeated)  # a text twice in the group scores against itself
    return float(block[off].min())


def dedupe(cases: Sequence[Case], threshold: float = DEFAULT_THRESHOLD, near_miss_margin: float = 10.0,
           *, exhaustive: bool = False, cache: Caches | None = None, workers: int = 1,
           fresh: Mapping[str, object] | None = None) -> DedupeResult:
    """Group duplicate cases. ``exhaustive`` scores every pair of texts (slow; the benchmark's reference).

    ``cache`` keeps normalised texts between builds (`kbgen serve`); without it nothing is kept (the pipeline
    fills it from the validation workers, which normalise each case's texts where they check it). ``workers``
    > 1 scores the candidate pairs, and groups the components (which share no text), in that many processes
    (:mod:`kbgen.workers`); the groups, scores and near misses are the same. ``fresh`` holds texts normalised
    already (:func:`prepare` of a case, by its path: the validation workers make them), which are used as they are
    and put in ``cache``.
    """
    # Many small objects, no cycles: paused, the cycle collector does not walk every parsed case again and
    # again (a tenth of dedupe's time at 100,000 cases; see no_cycle_collection)
    with no_cycle_collection():
        return _dedupe(cases, threshold, near_miss_margin, exhaustive, cache, workers, fresh or {})


def _text_of(case: Case, cache: Caches | None, fresh: Mapping[str, object]) -> _Text:
    """:func:`prepare`, or the text ``fresh`` has for the case. The cache's key is made once a case: at 100,000 cases,
    looking each case's sections up twice (for the pipeline to store the text, for dedupe to find it) took 3 s."""
    made = fresh.get(case.path)
    if not isinstance(made, _Text):
        return prepare(case, cache)
    if cache is not None:
        cache.prepared.put(text_key(case), made)
    return made


def _dedupe(cases: Sequence[Case], threshold: float, near_miss_margin: float, exhaustive: bool, cache: Caches | None,
            workers: int, fresh: Mapping[str, object]) -> DedupeResult:
    ordered = sorted(cases, key=lambda c: (c.id.lower(), c.id, c.path))
    same: dict[_Text, _Text] = {}
    texts = [same.setdefault(text, text) for text in (_text_of(c, cache, fresh) for c in ordered)]  # one object per text
    del same
    weights = _Weights(texts)
    scorer = _Scorer(weights)
    target, apart, diagnostics = _overrides(ordered)
    rep_id: dict[_Rep, int] = {}
    rep_of_text: dict[_Text, int] = {}
    rid = []
    for text in texts:
        r = rep_of_text.get(text)
        if r is None:
            r = rep_of_text[text] = rep_id.setdefault(weights.rep(text), len(rep_id))
        rid.append(r)
    reps = list(rep_id)
    sizes = [text.words for text in texts]  # all the groups need of the texts: free them before scoring
    del texts, rep_of_text, rep_id
    first = [-1] * len(reps)
    parent = list(range(len(ordered)))
    for i, r in enumerate(rid):
        if first[r] < 0:
            first[r] = i
        else:
            _union(parent, first[r], i)
    known: dict[tuple[int, int], tuple[float, str, bool]] = {}
    floor = threshold - near_miss_margin
    pairs = all_pairs(reps) if exhaustive else candidate_pairs(reps)
    work = {"cases": len(ordered), "texts": len(reps), "scored_pairs": len(pairs), "largest_component_texts": 0,
            "split_components": 0, "largest_block_texts": 0, "peeled_blocks": 0}
    link: dict[int, tuple[float, int]] = {}  # text -> its best agreeing neighbour that quotes codes
    spans = [(start, min(start + PAIR_BATCH, len(pairs))) for start in range(0, len(pairs), PAIR_BATCH)]

    def score_span(span: tuple[int, int]) -> list[tuple[int, int, float, str, bool]]:
        """The pairs of a span that score at least ``floor``, with whether their problems clash: only they matter
        below, and only they come back from a worker process."""
        out = []
        for a, b in pairs[span[0] : span[1]].tolist():
            score, why = scorer(reps[a], reps[b])
            if score >= floor:
                out.append((a, b, score, why, bool(_clash(reps[a], reps[b]))))
        return out

    for batch in fork_map(score_span, spans, workers, parallel_from=8):
        for a, b, score, why, clashes in batch:
            known[(a, b)] = (score, why, clashes)
            if score >= threshold and not clashes:
                _union(parent, first[a], first[b])
                for one, other in ((a, b), (b, a)):
                    if reps[other].codes and (score, -other) > link.get(one, (-1.0, 0)):
                        link[one] = (score, -other)
    for i, j in target.items():
        _union(parent, i, j)
    units = _units(len(ordered), target)
    diagnostics += _conflicts(units, ordered)
    component: dict[int, list[_Unit]] = defaultdict(list)
    for unit in units:
        component[_find(parent, unit.rep)].append(unit)
    pointed = {u.rep for u in units if u.pointed}
    def component_groups(root: int) -> tuple[list[tuple[list[int], Group]], tuple[int, bool, int, int]]:
        """One component's groups (with their members), and what it cost: its distinct texts, whether it was
        cut into blocks, its largest block, how many blocks were peeled. Pure: a worker process can run it."""
        memo: dict[tuple[int, int], tuple[float, str]] = {}

        def reason(i: int, j: int) -> tuple[float, str]:  # copies share texts: score each pair of texts once
            key = (rid[i], rid[j])
            if key not in memo:
                memo[key] = scorer(reps[key[0]], reps[key[1]])
            return memo[key]

        nodes = _nodes(component[root], rid, apart, ordered)
        blocks = _blocks(nodes, rid, reps, link, ordered)
        found: list[tuple[list[int], Group]] = []
        widest = peeled = 0
        for block in blocks:
            drafts, rid_pos, scores, agreed = _group_block(block, rid, reps, scorer, threshold, ordered)
            widest = max(widest, len(rid_pos))
            peeled += not agreed
            for draft in drafts:
                members = [m for n in draft for m in n.members]
                found.append((members, _group(members, pointed, target, ordered, sizes, reason,
                                              _lowest(members, rid, rid_pos, scores))))
        return found, (len({rid[m] for n in nodes for m in n.members}), len(blocks) > 1, widest, peeled)

    # Components share no text, so each is grouped on its own: in the worker processes, when there are many
    groups: list[Group] = []
    group_of: dict[int, int] = {}
    for found, (distinct, split, widest, peeled) in fork_map(component_groups, sorted(component), workers):
        work["largest_component_texts"] = max(work["largest_component_texts"], distinct)
        work["split_components"] += split
        work["largest_block_texts"] = max(work["largest_block_texts"], widest)
        work["peeled_blocks"] += peeled
        for members, group in found:
            for m in members:
                group_of[m] = len(groups)
            groups.append(group)
    near = []
    for (a, b), (score, why, clashes) in known.items():
        i, j = first[a], first[b]
        if (score < threshold or clashes) and group_of[i] != group_of[j]:
            x, y = sorted((ordered[i].id, ordered[j].id), key=lambda s: (s.lower(), s))
            near.append(NearMiss(x, y, score, why))
    near.sort(key=lambda n: (-n.score, n.a.lower(), n.b.lower()))
    groups.sort(key=lambda g: (g.canonical.lower(), g.canonical))
    return DedupeResult(groups, near, sorted(diagnostics), work)


def _group(members: list[int], pointed: set[int], target: dict[int, int], cases: Sequence[Case],
           sizes: Sequence[int], score: Callable[[int, int], tuple[float, str]], lowest: float) -> Group:
    canonical = _canonical(members, pointed, cases)
    reasons = []
    for m in members:
        if m in target:
            value, why = score(m, target[m])
            reasons.append((m, target[m], value, f"duplicate_of ({why})"))
        elif m != canonical and m not in pointed:
            reasons.append((m, canonical, *score(m, canonical)))
    ordered = sorted(members, key=lambda m: (m != canonical, cases[m].resolved, cases[m].id.lower()))
    return Group(
        canonical=cases[canonical].id,
        best=cases[_best(members, cases, sizes)].id,
        members=tuple(cases[m].id for m in ordered),
        score=lowest,
        reasons=tuple(sorted((cases[i].id, cases[j].id, s, why) for i, j, s, why in reasons)),
    )
