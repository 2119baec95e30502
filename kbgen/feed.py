"""An Atom feed of new and changed articles, made with feedgen; every date comes from the data."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from feedgen.feed import FeedGenerator

from . import editions, words
from .models import Article, Result, Settings, article_url


def _when(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def feed_id(settings: Settings) -> str:
    """The site's URL; without one a UUID derived from the site's name, so two sites' feeds never share an id."""
    return settings.site_url or uuid.uuid5(uuid.NAMESPACE_URL, f"kbgen:{settings.site_name}").urn


def entry_id(settings: Settings, article_id: str) -> str:
    """An article's URL; without a site URL a UUID derived from the feed's, stable as long as the site's name is."""
    if settings.site_url:
        return f"{settings.site_url}{article_url(article_id)}"
    return uuid.uuid5(uuid.UUID(feed_id(settings).removeprefix("urn:uuid:")), article_id).urn


def feed_entries(result: Result) -> list[tuple[date, Article]]:
    """Articles by when they last changed: a case merged in, or the root cause fixed."""
    def changed(a: Article) -> date:
        fixed = a.root_cause.fixed_on if a.root_cause and a.root_cause.fixed_on else date.min
        return max(a.last_resolved, min(fixed, result.as_of))

    return sorted(((changed(a), a) for a in result.articles), key=lambda e: (-e[0].toordinal(), e[1].slug))


def atom(result: Result, settings: Settings, summary: Callable[[Article], str]) -> str:
    """The feed of the ``feed_size`` latest changed articles (the team's edition: new and recurring problems);
    ``summary`` gives each entry's text."""
    fg = FeedGenerator()
    fg.id(feed_id(settings))
    fg.title(settings.site_name)
    fg.subtitle("New problems and fixes that did not stop the cases" if settings.team else "New and updated articles")
    fg.link(href=f"{settings.site_url}feed.xml" if settings.site_url else "feed.xml", rel="self")
    fg.generator("kbgen")
    fg.language("en")
    if settings.team:
        entries = editions.team_feed_entries(result, settings.window_days)[: settings.feed_size]
    else:
        entries = [(changed, article, "") for changed, article in feed_entries(result)[: settings.feed_size]]
    fg.updated(_when(entries[0][0] if entries else result.as_of))
    for changed, article, why in reversed(entries):  # feedgen prepends, so add the oldest first
        e = fg.add_entry()
        url = f"{settings.site_url}{article.url}" if settings.site_url else article.url
        e.id(entry_id(settings, article.id))
        e.title(article.best.title)
        e.link(href=url)
        e.published(_when(article.first_resolved))
        e.updated(_when(changed))
        count = len(article.cases)
        status = f" Root cause: {article.root_cause.status}." if article.root_cause else ""
        lead = f"{why}: " if why else ""
        e.summary(f"{lead}{summary(article)} (reported {words.count(count, 'time')}).{status}")
    return fg.atom_str(pretty=True).decode("utf-8")
