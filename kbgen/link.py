"""Groups of duplicate cases -> articles, each with the one root cause its cases name.

Pure: the same groups give the same articles and the same warnings whatever order the
groups, their members or the mappings come in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from . import words
from .models import Article, Case, Diagnostic, Group, RootCause, fold_id


def link(
    groups: Sequence[Group], cases: Mapping[str, Case], root_causes: Mapping[str, RootCause]
) -> tuple[list[Article], list[Diagnostic]]:
    """One article per group, sorted by canonical id (ignoring case), plus a warning per case whose root cause lost."""
    articles: list[Article] = []
    diagnostics: list[Diagnostic] = []
    for group in groups:
        ordered = article_cases(group, cases)
        root_cause, problems = choose_root_cause(ordered, root_causes)
        articles.append(Article(ordered[0], cases[group.best], ordered, group.score, root_cause))
        diagnostics += problems
    articles.sort(key=lambda a: (fold_id(a.id), a.id))
    return articles, sorted(diagnostics)


def article_cases(group: Group, cases: Mapping[str, Case]) -> tuple[Case, ...]:
    """The canonical case first, then the others oldest first (ties by id), each once."""
    others = {m for m in (*group.members, group.best) if m != group.canonical}
    rest = sorted((cases[m] for m in others), key=lambda c: (c.resolved, fold_id(c.id), c.id))
    return (cases[group.canonical], *rest)


def choose_root_cause(
    ordered: Sequence[Case], root_causes: Mapping[str, RootCause]
) -> tuple[RootCause | None, list[Diagnostic]]:
    """The root cause of an article whose cases are ``ordered`` canonical first.

    Cases naming none don't take part. On a conflict the canonical case's root cause wins
    (a person picked that case to speak for the group); failing that the one most cases
    name, ties by key, so the choice never depends on input order.
    """
    named = [(c, c.root_cause) for c in ordered if c.root_cause and c.root_cause in root_causes]
    counts = Counter(key for _, key in named)
    if not counts:
        return None, []
    canonical = ordered[0].root_cause
    if canonical is not None and canonical in counts:
        chosen, why = canonical, "the canonical case's"
    else:
        chosen = min(counts, key=lambda key: (-counts[key], fold_id(key), key))
        why = f"named by {words.count(counts[chosen], 'case')}"
    problems = [
        Diagnostic(
            case.path,
            case.line,
            "warning",
            f"case '{case.id}' names root cause '{key}', but its article '{ordered[0].id}' uses '{chosen}' ({why}); "
            "duplicates should name one root cause",
        )
        for case, key in named
        if key != chosen
    ]
    return root_causes[chosen], problems
