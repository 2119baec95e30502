"""Two editions from one source: the public knowledge base, and the team's edition for agents and developers.

Pure functions over the pipeline's result. The pipeline deduplicates the public cases
(``Result.articles``) and adds each internal case to the article it duplicates, or to articles of
internal cases only (``Result.team_articles``, ``pipeline.team_groups``), so a public article has the
same URL in both editions and internal cases never change the public one. What only the team may see is added here, and only when ``render`` is asked for the
team's edition:

- each article's internal notes, in a marked box, and the customers affected (name, case, date);
- top issues counted over every case, with cost, hours and customers;
- a banner on every page and ``<meta name="robots" content="noindex">`` (:func:`mark_page`);
- a feed of new problems and fixed-but-recurring ones (:func:`team_feed_entries`).

The public edition's top issues show counts only unless the site opts in (``public_top_issues``).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date

from . import markdown, rank, safety, words
from .models import Article, Result, Section, TopIssues

BANNER = (
    "Team edition: internal cases, internal notes, customer names and cost. "
    "For support and development staff only; do not share this page or its links outside the company."
)
ROBOTS = '<meta name="robots" content="noindex, nofollow">'


def view(result: Result, team: bool) -> Result:
    """The result as one edition sees it: the team's edition swaps in every case's articles and ranking."""
    if not team:
        return result
    return replace(result, articles=result.team_articles, top=result.team_top, since_fix=result.team_since_fix)


def counts_only(top: TopIssues) -> TopIssues:
    """Top issues without customers, hours or cost, so no page, chart or file of the edition can show them."""
    return replace(top, issues=tuple(replace(i, customers=0, agent_hours=0.0, cost=0.0) for i in top.issues))


def _notes_html(section: Section) -> str:
    """The notes as the one parse that cut them out rendered them, sanitised like any case text."""
    return safety.sanitise_case(section.html or markdown.render(section.body))


def team_sections(article: Article) -> str:
    """The team's part of an article: internal notes of every case in a marked box, and the customers affected."""
    out: list[str] = []
    internal = [c.id for c in article.cases if not c.public]
    notes = [(c, s) for c in article.cases for s in c.notes if s.body.strip()]
    parts = ['<div class="admonition danger kb-internal">', '<p class="admonition-title">Internal: team edition only</p>']
    if internal:
        parts.append(f"<p>Internal cases, never on the public site: {html.escape(', '.join(internal))}.</p>")
    for case, section in notes:
        parts.append(f'<p class="kb-note-head"><strong>{html.escape(case.id)}</strong> · {html.escape(section.title)} · '
                     f"resolved {case.resolved.isoformat()}</p>")
        parts.append(f'<div class="kb-note">{_notes_html(section)}</div>')
    if not notes:
        parts.append("<p>No internal notes.</p>")
    parts.append("</div>")
    out.append("\n".join(parts) + "\n")
    affected = sorted((c for c in article.cases if c.customer), key=lambda c: (c.resolved, c.id.lower()))
    if affected:
        rows = "".join(
            f"<tr><td>{html.escape(c.customer or '')}</td><td>{html.escape(c.id)}</td><td>{c.resolved.isoformat()}</td>"
            f"<td>{'internal' if not c.public else 'public'}</td></tr>\n"
            for c in affected
        )
        out.append(
            f"## Customers affected\n\n<p>{words.count(rank.count_customers(affected), 'customer')}, "
            f"{words.count(len(affected), 'case')} naming one.</p>\n"
            '<div class="kb-customers">\n<table>\n<thead><tr><th>Customer</th><th>Case</th><th>Resolved</th><th>Case is</th></tr></thead>\n'
            f"<tbody>\n{rows}</tbody>\n</table>\n</div>\n"
        )
    return "\n".join(out)


_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def mark_page(page: str) -> str:
    """A page of the team's edition: noindex in the head, the banner first in the body."""
    if 'name="robots"' not in page:
        page = _HEAD.sub(lambda m: f"{m.group(0)}\n{ROBOTS}", page, count=1)
    return _BODY.sub(lambda m: f'{m.group(0)}\n<div class="kb-edition-banner" role="note">{html.escape(BANNER)}</div>', page, count=1)


def team_feed_entries(result: Result, window_days: int) -> list[tuple[date, Article, str]]:
    """New problems (first case in the window) and fixed-but-recurring ones, newest first, with why each is listed."""
    first, last = rank.window(result.as_of, window_days)
    entries: list[tuple[date, Article, str]] = []
    for article in result.team_articles:
        seen = [c.resolved for c in article.cases if c.resolved <= last]
        if seen and min(seen) >= first:
            entries.append((min(seen), article, "New problem"))
        elif article.root_cause and rank.recurring(article.root_cause, article.cases, result.as_of, include_internal=True):
            after = [c.resolved for c in article.cases if article.root_cause.fixed_on and article.root_cause.fixed_on < c.resolved <= last]
            entries.append((max(after), article, "Fixed, but cases keep arriving"))
    return sorted(entries, key=lambda e: (-e[0].toordinal(), e[1].slug))
