"""Dedupe stage: public cases -> groups of near-identical cases, one article per group.

Two cases are duplicates when an agent copied a fix and edited it a little (steps
reordered, a version or path changed, a typo fixed, a sentence added).

**Text.** Problem (title plus the Problem section) and Solution are compared after
normalising: lower case, Markdown markup and list numbers dropped, standalone numbers
and versions dropped, a few English stop words dropped, words sorted.

**Score** (0-100, :func:`score_pair`). ``solution`` is the mean of rapidfuzz's
``ratio`` on the sorted words (edits and typos) and ``token_set_ratio`` (a sentence
added); ``problem`` is the same mean on the problem texts. A short solution says
little ("Restart the application."), so the problem weighs in inversely to its
length: ``w = n / (n + SHORT_SOLUTION_WORDS)`` with ``n`` the smaller number of
distinct solution words, and ``score = min(solution, w * solution + (1 - w) * problem)``.
The problem can only lower the score, never lift a different fix over the
threshold. Cases of different products never match. The measure and
``DEFAULT_THRESHOLD`` were chosen on the labelled pairs in
``tests/data/dedupe_pairs.yml`` (the test prints precision and recall).

**Scale.** No all-pairs comparison: each case is indexed under a few of its solution
words (problem words too for a short solution): its rarest words shared with another
case of the product (copies of a fix share its error code, setting or file name) plus a
few picked by a fixed hash (a bottom-k MinHash sketch, for copies whose rare words were
edited). Each index list is sorted by sketch and only near neighbours in it are scored,
so the work grows about linearly with the number of cases. ``dedupe(..., exhaustive=True)``
scores every pair instead; ``bench/bench_dedupe.py`` compares the two.

**Groups.** Cases linked by ``duplicate_of`` (followed to the end of the chain) form
units that are never split. Units connected by scores >= threshold form components;
inside a component, units are taken in canonical order and each joins the existing
group whose leader it scores best against (>= threshold, no ``not_duplicate_of``
between them) or leads a new group. So every member is close to its group's leader:
chains A~B~C do not pull in a C far from A. ``duplicate_of`` wins over similarity and
over a conflicting ``not_duplicate_of`` (with a warning); ``not_duplicate_of`` wins
over similarity; a ``duplicate_of`` to a case that is not among the public cases is
ignored with a warning.

**Canonical** (the article's id and URL): among cases that a ``duplicate_of`` points
at, else among all members: the earliest resolved, ties by lower-cased id, then id.
New cases resolve later, so URLs stay stable as cases arrive.

**Best** (whose text the article shows): the most complete solution (most words after
normalising), ties by the latest resolved (fresher instructions), then lower-cased id.

Nothing depends on the order of the input: cases are sorted by id first.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz import fuzz

from .cache import Caches
from .models import Case, Diagnostic, Group, NearMiss

DEFAULT_THRESHOLD = 74.0
"""Pairs scoring at least this much merge; chosen on the labelled pairs (see the test)."""

SHORT_SOLUTION_WORDS = 8
"""A solution with this many distinct words weighs as much as the problem text."""

RARE_WORDS = 6
"""Index words per case taken rarest first; more finds more pairs and costs more comparisons."""

HASHED_WORDS = 4
"""Index words per case taken by a fixed hash (a bottom-k MinHash sketch)."""

WINDOW = 3
"""Neighbours scored on each side in every index list."""

EXACT_GROUP_SCORE = 30
"""Groups up to this size get their exact lowest pairwise score; larger ones an estimate."""

_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "if", "in", "into", "is", "it", "its", "of",
    "on", "or", "our", "so", "that", "the", "their", "then", "this", "to", "was", "were", "will", "with", "you",
    "your",
})
_LIST_MARKER = re.compile(r"^[ \t]*(?:\d+[.)]|[-*+])[ \t]+", re.MULTILINE)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class DedupeResult:
    groups: list[Group]
    near_misses: list[NearMiss]
    diagnostics: list[Diagnostic]


@dataclass(frozen=True)
class _Text:
    """One case's text, normalised once and compared many times."""

    product: str
    solution: str  # normalised words, sorted, space-separated
    problem: str
    distinct: int  # distinct solution words
    words: int  # solution words: how complete the solution is
    vocab: frozenset[str]  # what the case is indexed under (problem words too for a short solution)


def words(markdown: str) -> list[str]:
    """The words that matter in a Markdown text: no markup, list numbers, numbers or stop words."""
    text = _NUMBER.sub(" ", _LIST_MARKER.sub(" ", markdown.lower()))
    return [w for w in _WORD.findall(text) if w not in _STOP_WORDS]


def _hash(word: str) -> int:
    return zlib.crc32(word.encode())  # stable across runs, unlike hash()


def prepare(case: Case, cache: Caches | None = None) -> _Text:
    """A case's normalised texts; ``cache`` (kept by `kbgen serve`) skips cases whose text did not change."""
    if cache is None:
        return _prepare(case)
    return cache.prepared.get((case.product, case.title, case.problem, case.solution), lambda: _prepare(case))


def _prepare(case: Case) -> _Text:
    solution = words(case.solution)
    problem = words(f"{case.title}\n{case.problem}")
    vocab = set(solution)
    distinct = len(vocab)
    if distinct < 2 * SHORT_SOLUTION_WORDS:  # the problem decides for short solutions: index it too
        vocab |= {"problem:" + w for w in problem}
    return _Text(case.product.strip().lower(), " ".join(sorted(solution)), " ".join(sorted(problem)),
                 distinct, len(solution), frozenset(vocab))


def _similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """Mean of ratio on sorted words and token_set_ratio; 0 if it cannot reach ``cutoff``."""
    ordered = fuzz.ratio(a, b, score_cutoff=max(0.0, 2 * cutoff - 100))
    if not ordered:
        return 0.0
    return (ordered + fuzz.token_set_ratio(a, b)) / 2


def _score(a: _Text, b: _Text, cutoff: float = 0.0) -> tuple[float, str]:
    if a.product != b.product:
        return 0.0, "different products"
    if not a.solution or not b.solution:
        return 0.0, "no solution words"
    solution = _similarity(a.solution, b.solution, cutoff)
    if solution < cutoff:
        return solution, f"solution {solution:.0f}"
    problem = _similarity(a.problem, b.problem)
    n = min(a.distinct, b.distinct)
    weight = n / (n + SHORT_SOLUTION_WORDS)
    return min(solution, weight * solution + (1 - weight) * problem), f"solution {solution:.0f}, problem {problem:.0f}"


def score_pair(a: Case, b: Case) -> tuple[float, str]:
    """How alike two cases are (0-100) and why, e.g. ``(81.5, "solution 93, problem 71")``."""
    return _score(prepare(a), prepare(b))


def _sketches(texts: Sequence[_Text]) -> list[tuple[str, ...]]:
    """Each case's index words: its rarest shared words, plus a few picked by a fixed hash (MinHash-like).

    Copies of one fix share its rare words (an error code, a setting, a file); words that only one
    case has (a typo) find nobody. The hashed words cover cases whose rare words were all edited.
    """
    df = Counter((t.product, w) for t in texts for w in t.vocab)
    out = []
    for t in texts:
        shared = [w for w in t.vocab if df[(t.product, w)] > 1]
        rare = sorted(shared, key=lambda w: (df[(t.product, w)], w))[:RARE_WORDS]
        hashed = sorted(shared, key=lambda w: (_hash(w), w))[:HASHED_WORDS]
        out.append(tuple(dict.fromkeys(rare + hashed)))
    return out


def candidate_pairs(texts: Sequence[_Text]) -> set[tuple[int, int]]:
    """Pairs worth scoring: neighbours in the index list of each sketch word, per product."""
    sketches = _sketches(texts)
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (text, sketch) in enumerate(zip(texts, sketches, strict=True)):
        for word in sketch:
            index[(text.product, word)].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in index.values():
        members.sort(key=lambda i: (sketches[i], i))  # alike sketches end up side by side
        for pos, i in enumerate(members):
            for j in members[pos + 1 : pos + 1 + WINDOW]:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def all_pairs(texts: Sequence[_Text]) -> set[tuple[int, int]]:
    """Every pair within a product: the exhaustive reference the benchmark compares against."""
    by_product: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        by_product[text.product].append(i)
    return {pair for members in by_product.values() for pair in combinations(members, 2)}


class _Scores:
    """Pair scores. Those that can matter (>= floor) are kept; the rest are cheap to recompute."""

    def __init__(self, texts: Sequence[_Text], floor: float, cache: Caches | None = None) -> None:
        self.texts, self.floor, self.cache = texts, floor, cache
        self.known: dict[tuple[int, int], tuple[float, str]] = {}

    def __call__(self, i: int, j: int, exact: bool = False) -> tuple[float, str]:
        """The score of a pair; below the floor it is a cheap bound unless ``exact``."""
        key = (min(i, j), max(i, j))
        hit = self.known.get(key)
        if hit is not None:
            return hit
        cutoff = 0.0 if exact else self.floor
        memo = (self.texts[key[0]], self.texts[key[1]], cutoff)
        value = _score(*memo) if self.cache is None else self.cache.scored.get(memo, lambda: _score(*memo))
        if value[0] >= self.floor:
            self.known[key] = value
        return value


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


@dataclass
class _Draft:
    leader: _Unit
    members: list[int]
    avoid: set[int]
    reasons: list[tuple[int, int, float, str]]


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


def _split(units: list[_Unit], cases: Sequence[Case], scores: _Scores, apart: dict[int, set[int]],
           threshold: float) -> list[_Draft]:
    """Leader clustering inside one component: each unit joins the leader it is closest to, or leads."""
    units = sorted(units, key=lambda u: (not u.pointed, cases[u.rep].resolved, cases[u.rep].id.lower(),
                                          cases[u.rep].id))
    drafts: list[_Draft] = []
    for unit in units:
        best: tuple[float, str, _Draft] | None = None
        for draft in drafts:
            score, why = scores(unit.rep, draft.leader.rep)
            if score >= threshold and (best is None or score > best[0]) and not (set(unit.members) & draft.avoid):
                best = (score, why, draft)
        avoid = set().union(*(apart.get(m, set()) for m in unit.members))
        if best is None:
            drafts.append(_Draft(unit, list(unit.members), avoid, []))
        else:
            score, why, draft = best
            draft.members += unit.members
            draft.avoid |= avoid
            draft.reasons.append((unit.rep, draft.leader.rep, score, why))
    return drafts


def _canonical(members: Sequence[int], pointed: set[int], cases: Sequence[Case]) -> int:
    pool = [m for m in members if m in pointed] or list(members)
    return min(pool, key=lambda m: (cases[m].resolved, cases[m].id.lower(), cases[m].id))


def _best(members: Sequence[int], cases: Sequence[Case], texts: Sequence[_Text]) -> int:
    return min(members, key=lambda m: (-texts[m].words, -cases[m].resolved.toordinal(), cases[m].id.lower(),
                                       cases[m].id))


def _lowest(members: list[int], canonical: int, scores: _Scores) -> float:
    """Lowest pairwise score; for big groups, exact among the members farthest from the canonical case."""
    if len(members) == 1:
        return 100.0
    to_canonical = {m: scores(m, canonical, exact=True)[0] for m in members if m != canonical}
    pool = sorted(to_canonical, key=lambda m: (to_canonical[m], m))[:EXACT_GROUP_SCORE]
    return min([*to_canonical.values(), *(scores(i, j, exact=True)[0] for i, j in combinations(pool, 2))])


def _group(draft: _Draft, pointed: set[int], target: dict[int, int], cases: Sequence[Case],
           texts: Sequence[_Text], scores: _Scores) -> Group:
    canonical = _canonical(draft.members, pointed, cases)
    reasons = list(draft.reasons)
    for m in draft.members:
        if m in target:
            score, why = scores(m, target[m], exact=True)
            reasons.append((m, target[m], score, f"duplicate_of ({why})"))
    ordered = sorted(draft.members, key=lambda m: (m != canonical, cases[m].resolved, cases[m].id.lower()))
    return Group(
        canonical=cases[canonical].id,
        best=cases[_best(draft.members, cases, texts)].id,
        members=tuple(cases[m].id for m in ordered),
        score=_lowest(draft.members, canonical, scores),
        reasons=tuple(sorted((cases[i].id, cases[j].id, s, why) for i, j, s, why in reasons)),
    )


def _conflicts(units: list[_Unit], cases: Sequence[Case]) -> list[Diagnostic]:
    """A not_duplicate_of between cases that duplicate_of links put in one unit: warn, duplicate_of wins."""
    problems = []
    for unit in units:
        for m in sorted(unit.members):
            declared = {o.lower() for o in cases[m].not_duplicate_of}
            for other in sorted(unit.members):
                if cases[other].id.lower() in declared:
                    problems.append(Diagnostic(cases[m].path, cases[m].line, "warning",
                                               f"not_duplicate_of '{cases[other].id}' conflicts with duplicate_of "
                                               "links that put both cases in one group; duplicate_of wins"))
    return problems


def dedupe(cases: Sequence[Case], threshold: float = DEFAULT_THRESHOLD, near_miss_margin: float = 10.0,
           *, exhaustive: bool = False, cache: Caches | None = None) -> DedupeResult:
    """Group duplicate cases. ``exhaustive`` scores every pair (slow; the benchmark's reference).

    ``cache`` keeps normalised texts and pair scores between builds (`kbgen serve`); without it nothing is kept.
    """
    ordered = sorted(cases, key=lambda c: (c.id.lower(), c.id, c.path))
    texts = [prepare(c, cache) for c in ordered]
    target, apart, diagnostics = _overrides(ordered)
    scores = _Scores(texts, threshold - near_miss_margin, cache)
    parent = list(range(len(ordered)))
    for i, j in sorted(all_pairs(texts) if exhaustive else candidate_pairs(texts)):
        if scores(i, j)[0] >= threshold:
            _union(parent, i, j)
    for i, j in target.items():
        _union(parent, i, j)
    units = _units(len(ordered), target)
    diagnostics += _conflicts(units, ordered)
    component: dict[int, list[_Unit]] = defaultdict(list)
    for unit in units:
        component[_find(parent, unit.rep)].append(unit)
    pointed = {u.rep for u in units if u.pointed}
    groups: list[Group] = []
    group_of: dict[int, int] = {}
    for root in sorted(component):
        for draft in _split(component[root], ordered, scores, apart, threshold):
            for m in draft.members:
                group_of[m] = len(groups)
            groups.append(_group(draft, pointed, target, ordered, texts, scores))
    near = [
        NearMiss(ordered[i].id, ordered[j].id, s)
        for (i, j), (s, _) in scores.known.items()
        if threshold - near_miss_margin <= s < threshold and group_of[i] != group_of[j]
    ]
    near.sort(key=lambda n: (-n.score, n.a.lower(), n.b.lower()))
    groups.sort(key=lambda g: (g.canonical.lower(), g.canonical))
    return DedupeResult(groups, near, sorted(diagnostics))
