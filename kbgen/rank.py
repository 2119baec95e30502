"""Top issues for an as-of date: which articles cost support the most cases lately (contract section 5).

Pure: the ranking depends only on the articles, the as-of date, the window and the rate, so
a build with ``--as-of`` is reproducible. Customer names are counted here and go no further.
"""

from __future__ import annotations

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


def rank(articles: Sequence[Article], as_of: date, window_days: int = 90, hourly_rate: float = 0.0) -> TopIssues:
    """Every article with a public case in the window, most cases first; ties by agent minutes, then by id."""
    first, last = window(as_of, window_days)
    prev_first, prev_last = window(first - timedelta(days=1), window_days)
    rows: list[tuple[Article, list[Case], float, int]] = []
    for article in articles:
        public = [c for c in article.cases if c.public]
        current = _between(public, first, last)
        if current:
            minutes = sum(c.handle_minutes for c in current)
            rows.append((article, current, minutes, len(_between(public, prev_first, prev_last))))
    rows.sort(key=lambda r: (-len(r[1]), -r[2], fold_id(r[0].id), r[0].id))
    total = sum(len(current) for _, current, _, _ in rows)
    issues: list[TopIssue] = []
    running = 0
    for position, (article, current, minutes, previous) in enumerate(rows, start=1):
        running += len(current)
        hours = minutes / 60
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
                flags=flags(article, as_of),
                trend=_trend(len(current), previous),
            )
        )
    return TopIssues(as_of, window_days, total, tuple(issues))


def _between(cases: Iterable[Case], first: date, last: date) -> list[Case]:
    return [c for c in cases if first <= c.resolved <= last]


def count_customers(cases: Iterable[Case]) -> int:
    """Distinct customers; "Globex Corp" and " globex  corp" are one customer, a blank is none."""
    return len({" ".join(c.customer.split()).casefold() for c in cases if c.customer and c.customer.strip()})


def flags(article: Article, as_of: date) -> tuple[str, ...]:
    rc = article.root_cause
    if rc is None:
        return (NO_ROOT_CAUSE,)
    if recurring(rc, article.cases, as_of):
        return (FIXED_BUT_RECURRING,)
    return ()


def recurring(rc: RootCause, cases: Iterable[Case], as_of: date) -> bool:
    """A fixed root cause whose cases kept arriving after the fix date (a case on the fix date itself doesn't count)."""
    if rc.status != "fixed" or rc.fixed_on is None:
        return False
    fixed_on = rc.fixed_on
    return any(c.public and fixed_on < c.resolved <= as_of for c in cases)


def trend(issue: TopIssue) -> str:
    """"new" when the window before had no case, else "up", "down" or "flat"."""
    return issue.trend or _trend(issue.cases, issue.previous_cases)


def _trend(cases: int, previous: int) -> str:
    if previous == 0:
        return "new"
    if cases > previous:
        return "up"
    return "down" if cases < previous else "flat"


def since_fix(articles: Iterable[Article], as_of: date) -> dict[str, int]:
    """Per article with a fixed root cause, how many public cases were resolved after the fix (up to as_of)."""
    out: dict[str, int] = {}
    for article in articles:
        rc = article.root_cause
        if rc is not None:
            count = sum(1 for c in article.cases if recurring(rc, [c], as_of))
            if count:
                out[article.id] = count
    return out


def issues_to_json(top: TopIssues, base_url: str = "") -> dict[str, object]:
    """The ``api/top-issues.json`` object: every ranked article, keys in a fixed order, no customer names."""
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    return {
        "as_of": top.as_of.isoformat(),
        "window_days": top.window_days,
        "total_cases": top.total_cases,
        "issues": [_issue_json(issue, base_url) for issue in top.issues],
    }


def _issue_json(issue: TopIssue, base_url: str) -> dict[str, object]:
    article = issue.article
    return {
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
        "trend": issue.trend,
        "root_cause": root_cause_json(article.root_cause),
        "flags": list(issue.flags),
    }


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
