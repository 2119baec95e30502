"""An Atom feed of new and changed articles, made with feedgen; every date comes from the data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from feedgen.feed import FeedGenerator

from .models import Article, Result, Settings


def _when(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def feed_entries(result: Result) -> list[tuple[date, Article]]:
    """Articles by when they last changed: a case merged in, or the root cause fixed."""
    def changed(a: Article) -> date:
        fixed = a.root_cause.fixed_on if a.root_cause and a.root_cause.fixed_on else date.min
        return max(a.last_resolved, min(fixed, result.as_of))

    return sorted(((changed(a), a) for a in result.articles), key=lambda e: (-e[0].toordinal(), e[1].slug))


def atom(result: Result, settings: Settings, summary: Callable[[Article], str]) -> str:
    """The feed of the ``feed_size`` latest changed articles; ``summary`` gives each entry's text."""
    base = settings.site_url or "urn:kbgen:"
    fg = FeedGenerator()
    fg.id(settings.site_url or "urn:kbgen:feed")
    fg.title(settings.site_name)
    fg.subtitle("New and updated articles")
    fg.link(href=f"{settings.site_url}feed.xml" if settings.site_url else "feed.xml", rel="self")
    fg.generator("kbgen")
    fg.language("en")
    entries = feed_entries(result)[: settings.feed_size]
    fg.updated(_when(entries[0][0] if entries else result.as_of))
    for changed, article in reversed(entries):  # feedgen prepends, so add the oldest first
        e = fg.add_entry()
        url = f"{settings.site_url}{article.url}" if settings.site_url else article.url
        e.id(url if settings.site_url else f"{base}{article.id}")
        e.title(article.best.title)
        e.link(href=url)
        e.published(_when(article.first_resolved))
        e.updated(_when(changed))
        count = len(article.cases)
        status = f" Root cause: {article.root_cause.status}." if article.root_cause else ""
        e.summary(f"{summary(article)} (reported {count} time{'s' if count != 1 else ''}).{status}")
    return fg.atom_str(pretty=True).decode("utf-8")
