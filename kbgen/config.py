"""The plugin's options (``KbgenConfig``), their bounds, and what the stages get from them.

One docstring per option: the README's configuration table is checked against them
(``tests/test_docs.py``). The as-of date has one override, the ``KBGEN_AS_OF`` environment
variable, read here only; every ``--as-of`` of the CLI sets it for the command's duration.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from . import dedupe, export, pipeline, workers
from .models import Settings

AS_OF_ENV = "KBGEN_AS_OF"
"""Environment variable that overrides the ``as_of`` option (YYYY-MM-DD), for `mkdocs build` and `mkdocs serve` too."""
_audience: list[str] = []
"""``internal`` while `kbgen build/serve --audience internal` runs: the team's edition. Kept in the process, never in
its environment, so no variable left in a shell or a CI job turns a plain `mkdocs build` (which writes site_dir) into
the team's edition."""
MAX_WINDOW_DAYS = 36_500


class _Switch(c.Choice):
    """A choice that takes YAML's unquoted `off` (read as false) for "off"."""

    def run_validation(self, value: object) -> Any:
        return super().run_validation("off" if value is False else value)


class KbgenConfig(Config):
    cases_dir = c.Type(str, default="content/cases")
    """Folder of case files, relative to mkdocs.yml."""
    root_causes = c.Type(str, default="content/root-causes.yml")
    """The root-causes file, relative to mkdocs.yml."""
    as_of = c.Optional(c.Type(str))
    """Date (YYYY-MM-DD) that time windows end on; default today. KBGEN_AS_OF (set by `kbgen --as-of`) overrides it."""
    window_days = c.Type(int, default=90)
    """Length of the top-issues window in days."""
    top_count = c.Type(int, default=5)
    """How many top issues the page shows."""
    hourly_rate = c.Type((int, float), default=0)
    """Agent cost per hour, for the cost column."""
    currency = c.Type(str, default="USD")
    """Currency of hourly_rate."""
    threshold = c.Type((int, float), default=dedupe.DEFAULT_THRESHOLD)
    """Similarity (0-100) at which two cases merge into one article."""
    allow_emails = c.ListOfItems(c.Type(str), default=[])
    """Email addresses (or '@domain') allowed in public text, e.g. the support address."""
    feedback_url = c.Type(str, default="")
    """Where 'Report a problem with this article' points; ?article=<id> is appended."""
    feed_size = c.Type(int, default=50)
    """How many entries feed.xml keeps."""
    public_top_issues = _Switch(("counts", "full", "off"), default="counts")
    """The public edition's top issues: `counts` (cases, share, trend, root cause; no customers, hours or cost),
    `full` (with them) or `off` (no top-issues page, nav entry or api/top-issues.json). The team's edition always
    shows everything."""
    internal_site_dir = c.Type(str, default="site-internal")
    """Where `kbgen build --audience internal` writes the team's edition, relative to mkdocs.yml; never site_dir."""
    search = c.Choice(("pagefind", "material"), default="pagefind")
    """`pagefind`: a chunked index answered in Material's search box (about 0.3 MB to the first result at
    10,000 articles); `material`: Material's own lunr index of every article (downloaded whole)."""


def parse_as_of(value: str | date | None) -> date:
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise PluginError(f"kbgen: as_of must be a date written YYYY-MM-DD, not {value!r}") from exc


def as_of(options: KbgenConfig) -> date:
    """KBGEN_AS_OF, else the ``as_of`` option, else today."""
    return parse_as_of(os.environ.get(AS_OF_ENV) or options.as_of)


@contextmanager
def _env(name: str, value: str | None) -> Iterator[None]:
    """Set an environment variable while a command runs, and put back what was there."""
    if value is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def as_of_override(day: date | None) -> contextlib.AbstractContextManager[None]:
    """Set KBGEN_AS_OF while a command runs: how `--as-of` reaches the plugin."""
    return _env(AS_OF_ENV, day.isoformat() if day is not None else None)


def audience() -> str:
    """"internal" while `kbgen ... --audience internal` runs, else "public"."""
    return "internal" if _audience[-1:] == ["internal"] else "public"


@contextmanager
def audience_override(value: str | None) -> Iterator[None]:
    """The edition while a command runs: how `--audience` reaches the plugin (and `kbgen serve`'s rebuilds, which
    run in this process)."""
    if value is None:
        yield
        return
    _audience.append(value)
    try:
        yield
    finally:
        _audience.pop()


def without(nav: list[Any], target: str) -> list[Any]:
    """The nav without entries that point at ``target`` (sections left empty go too)."""
    out: list[Any] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) and len(item) == 1 else item
        if value == target:
            continue
        if isinstance(value, list):
            kept = without(value, target)
            if kept:
                out.append({next(iter(item)): kept})
            continue
        out.append(item)
    return out


def check(options: KbgenConfig, config: MkDocsConfig) -> None:
    """Settings MkDocs' option types cannot bound: one clean error, exit 2 from the CLI."""
    problems = [
        f"{name} must be {rule}"
        for name, ok, rule in (
            ("window_days", 1 <= options.window_days <= MAX_WINDOW_DAYS, f"between 1 and {MAX_WINDOW_DAYS} (100 years)"),
            ("top_count", options.top_count >= 1, "at least 1"),
            ("feed_size", options.feed_size >= 1, "at least 1"),
            ("threshold", 0 <= options.threshold <= 100, "between 0 and 100"),
            ("hourly_rate", 0 <= options.hourly_rate < float("inf"), "0 or more"),
        )
        if not ok
    ]
    if not config.use_directory_urls:
        problems.append("use_directory_urls must stay true: article links and redirects are kb/<id>/")
    if problems:
        raise PluginError("kbgen: " + "; ".join(problems))


def pipeline_options(options: KbgenConfig, config: MkDocsConfig) -> pipeline.Options:
    """The pipeline's options, paths resolved against mkdocs.yml's folder; checks the settings first."""
    check(options, config)
    root = Path(config.config_file_path or ".").resolve().parent
    day = as_of(options)
    if day.toordinal() <= 2 * options.window_days:  # the window and the one before it compared for the trend
        raise PluginError(f"kbgen: as_of {day} is too early: the top-issues windows ({options.window_days} days, twice) "
                          "would start before year 1; use a real date")
    return pipeline.Options(
        cases_dir=root / options.cases_dir,
        root_causes=root / options.root_causes,
        root=root,
        as_of=day,
        window_days=options.window_days,
        hourly_rate=float(options.hourly_rate),
        threshold=float(options.threshold),
        allow_emails=tuple(options.allow_emails),
        workers=workers.count(),
    )


def render_settings(options: KbgenConfig, config: MkDocsConfig) -> Settings:
    return Settings(
        site_url=config.site_url or "",
        site_name=config.site_name,
        top_count=options.top_count,
        currency=options.currency,
        feed_size=options.feed_size,
        feedback_url=options.feedback_url,
        search=options.search,
        markdown_extensions=tuple(str(e) for e in config.markdown_extensions),
        mdx_configs=dict(config.mdx_configs or {}),
        audience=audience(),
        public_top_issues=options.public_top_issues,
        window_days=options.window_days,
    )


def export_project(config: MkDocsConfig, options: pipeline.Options | None = None) -> export.Project:
    """What ``kbgen export`` keeps of mkdocs.yml: the settings any Material-compatible builder reads; ``options``
    name kbgen's input (cases, root causes), which is never copied from docs_dir."""
    theme = {key: config.theme[key] for key in export.THEME_KEYS if key in config.theme and config.theme[key] is not None}
    settings = {key: config[key] for key in export.SITE_KEYS if config.get(key)}
    return export.Project(
        settings=settings,
        theme=theme,
        docs_dir=Path(config.docs_dir),
        custom_dir=Path(config.theme.custom_dir) if config.theme.custom_dir else None,
        nav=config.nav,
        markdown_extensions=tuple(str(e) for e in config.markdown_extensions),
        mdx_configs=dict(config.mdx_configs or {}),
        extra=dict(config.extra or {}),
        extra_css=tuple(str(s) for s in config.extra_css),
        extra_javascript=tuple(str(s) for s in config.extra_javascript),
        inputs=(options.cases_dir, options.root_causes) if options else (),
    )
