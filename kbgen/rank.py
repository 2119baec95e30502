"""Top issues for an as-of date: which articles cost support the most cases lately (contract section 5).

Pure: the ranking depends only on the articles, the as-of date, the window and the rate, so
a build with ``--as-of`` is reproducible. Customer names are counted here and go no further.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from .models import Article, Case, RootCause, TopIssue, TopIssues, fold_id

FIXED_BUT_RECURRING = "fixed-but-recurring"
NO_ROOT_CAUSE = "no-root-cause"


def window(as_of: date, window_days: int) -> tuple[date, date]:
    """The first and last day (both included) of the ``window_days`` days ending on ``as_of``."""
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, not {window_days}")
    return as_of - timedelta(days=window_days - 1), as_of


SIGNIFICANCE = 0.05
"""A change between the two windows counts as a rise or fall only when chance explains it less often than this."""


def rank(articles: Sequence[Article], as_of: date, window_days: int = 90, hourly_rate: float = 0.0,
         *, include_internal: bool = False) -> TopIssues:
    """Every article with a counted case in the window, most cases first; ties by agent minutes, then by id.

    The public edition counts public cases only; the team's edition (``include_internal``) counts every case.
    """
    first, last = window(as_of, window_days)
    prev_first, prev_last = window(first - timedelta(days=1), window_days)
    rows: list[tuple[Article, list[Case], float, int, bool]] = []
    for article in articles:
        counted = [c for c in article.cases if include_internal or c.public]
        current = _between(counted, first, last)
        if current:
            minutes = sum(c.handle_minutes for c in current)
            new = all(c.resolved >= first for c in counted if c.resolved <= last)
            rows.append((article, current, minutes, len(_between(counted, prev_first, prev_last)), new))
    rows.sort(key=lambda r: (-len(r[1]), -r[2], fold_id(r[0].id), r[0].id))
    total = sum(len(r[1]) for r in rows)
    issues: list[TopIssue] = []
    running = 0
    for position, (article, current, minutes, previous, new) in enumerate(rows, start=1):
        running += len(current)
        hours = minutes / 60
        p = change_p_value(len(current), previous)
        issues.append(
            TopIssue(
                rank=position,
                article=article,
                cases=len(current),
                share=len(current) / total,
                # from counts, not a float running sum, so the last one is exactly 1.0
                cumulative_share=running / total,
                customers=count_customers(current),
                agent_hours=hours,
                cost=hours * hourly_rate,
                previous_cases=previous,
                flags=flags(article, as_of, include_internal),
                p_value=p,
                trend_significant=p < SIGNIFICANCE,
                new=new,
                median_days_to_resolve=median_days_to_resolve(current),
                trend=_trend(len(current), previous, new, p < SIGNIFICANCE),
            )
        )
    return TopIssues(as_of, window_days, total, tuple(issues))


def _between(cases: Iterable[Case], first: date, last: date) -> list[Case]:
    return [c for c in cases if first <= c.resolved <= last]


def change_p_value(current: int, previous: int) -> float:
    """Two-sided exact conditional binomial test that two equal windows had the same rate of cases.

    Given ``n = current + previous`` cases in both windows, equal rates make ``current`` a
    Binomial(n, 1/2) draw; the p-value is twice the smaller tail at the observed count, capped at 1.
    Exact integer arithmetic: 3 cases against 1 (p = 0.625) is chance, 12 against 2 (p = 0.013) is not.
    """
    n = current + previous
    if n == 0:
        return 1.0
    low = min(current, previous)
    tail = sum(math.comb(n, k) for k in range(low + 1))  # P(X <= low) * 2**n
    return min(1.0, 2 * tail / 2**n)


def median_days_to_resolve(cases: Iterable[Case]) -> float | None:
    """Median days from ``opened`` to ``resolved`` over the cases that give ``opened``; None when none does."""
    days = [(c.resolved - c.opened).days for c in cases if c.opened is not None]
    return float(statistics.median(days)) if days else None


def count_customers(cases: Iterable[Case]) -> int:
    """Distinct customers; "Globex Corp" and " globex  corp" are one customer, a blank is none."""
    return len({" ".join(c.customer.split()).casefold() for c in cases if c.customer and c.customer.strip()})


def flags(article: Article, as_of: date, include_internal: bool = False) -> tuple[str, ...]:
    rc = article.root_cause
    if rc is None:
        return (NO_ROOT_CAUSE,)
    if recurring(rc, article.cases, as_of, include_internal):
        return (FIXED_BUT_RECURRING,)
    return ()


def recurring(rc: RootCause, cases: Iterable[Case], as_of: date, include_internal: bool = False) -> bool:
    """A fixed root cause whose cases kept arriving after the fix date (a case on the fix date itself doesn't count)."""
    if rc.status != "fixed" or rc.fixed_on is None:
        return False
    fixed_on = rc.fixed_on
    return any((include_internal or c.public) and fixed_on < c.resolved <= as_of for c in cases)


def trend(issue: TopIssue) -> str:
    """"new" when the article's first case is in the window; "up" or "down" only when the change is unlikely
    to be chance (``trend_significant``); otherwise "flat": no clear change, however the two counts differ."""
    return issue.trend or _trend(issue.cases, issue.previous_cases, issue.new, issue.trend_significant)


def _trend(cases: int, previous: int, new: bool, significant: bool) -> str:
    if new:
        return "new"
    if not significant:
        return "flat"
    return "up" if cases > previous else "down"


def since_fix(articles: Iterable[Article], as_of: date, include_internal: bool = False) -> dict[str, int]:
    """Per article with a fixed root cause, how many counted cases were resolved after the fix (up to as_of)."""
    out: dict[str, int] = {}
    for article in articles:
        rc = article.root_cause
        if rc is not None:
            count = sum(1 for c in article.cases if recurring(rc, [c], as_of, include_internal))
            if count:
                out[article.id] = count
    return out


TEAM_FIELDS = ("customers", "agent_hours", "cost")
"""Fields for the team, not the public: left out unless the edition shows them (``public_top_issues: full``)."""


def issues_to_json(top: TopIssues, base_url: str = "", *, team_fields: bool = True) -> dict[str, object]:
    """The ``api/top-issues.json`` object: every ranked article, keys in a fixed order, no customer names.

    ``team_fields`` keeps customer counts, agent hours and cost (:data:`TEAM_FIELDS`)."""
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    return {
        "as_of": top.as_of.isoformat(),
        "window_days": top.window_days,
        "total_cases": top.total_cases,
        "issues": [_issue_json(issue, base_url, team_fields) for issue in top.issues],
    }


def _issue_json(issue: TopIssue, base_url: str, team_fields: bool) -> dict[str, object]:
    article = issue.article
    data: dict[str, object] = {
        "rank": issue.rank,
        "article": article.id,
        "title": article.best.title,
        "url": f"{base_url}{article.url}",
        "cases": issue.cases,
        "share": round(issue.share, 4),
        "cumulative_share": round(issue.cumulative_share, 4),
        "customers": issue.customers,
        "agent_hours": round(issue.agent_hours, 2),
        "cost": round(issue.cost, 2),
        "previous_cases": issue.previous_cases,
        "trend": trend(issue),
        "trend_significant": issue.trend_significant,
        "median_days_to_resolve": issue.median_days_to_resolve,
        "root_cause": root_cause_json(article.root_cause),
        "flags": list(issue.flags),
    }
    if not team_fields:
        for key in TEAM_FIELDS:
            del data[key]
    return data


def root_cause_json(rc: RootCause | None) -> dict[str, object] | None:
    if rc is None:
        return None
    return {
        "id": rc.id,
        "title": rc.title,
        "kind": rc.kind,
        "status": rc.status,
        "tracker": rc.tracker,
        "fixed_in": rc.fixed_in,
        "fixed_on": rc.fixed_on.isoformat() if rc.fixed_on else None,
    }
