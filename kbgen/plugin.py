"""The MkDocs plugin: hooks only. ``plugins: [search, kbgen]`` turns the cases into the site.

The pipeline runs once per build in ``on_files``; the pages it returns are handed to
MkDocs as generated files, articles kept out of the nav.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from . import dedupe, editions, feed, pages, pipeline, safety, search, sitecheck
from .models import Result
from .words import count

log = get_plugin_logger(__name__)
PACKAGE = Path(__file__).parent
ASSETS = ("assets/kbgen/kbgen.css", "assets/kbgen/kbgen.js")
MATERIAL_DEFAULT_FONT = {"text": "Roboto", "code": "Roboto Mono"}
"""Material's mkdocs_theme.yml default: what theme.font holds when the site did not set it."""


class _Switch(c.Choice):
    """A choice that takes YAML's unquoted `off` (read as false) for "off"."""

    def run_validation(self, value: object) -> Any:
        return super().run_validation("off" if value is False else value)
MAX_WINDOW_DAYS = 36_500


class KbgenConfig(Config):
    cases_dir = c.Type(str, default="content/cases")
    """Folder of case files, relative to mkdocs.yml."""
    root_causes = c.Type(str, default="content/root-causes.yml")
    """The root-causes file, relative to mkdocs.yml."""
    as_of = c.Optional(c.Type(str))
    """Date (YYYY-MM-DD) that time windows end on; default today. `kbgen --as-of` overrides it."""
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


def _without(nav: list[Any], target: str) -> list[Any]:
    """The nav without entries that point at ``target`` (sections left empty go too)."""
    out: list[Any] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) and len(item) == 1 else item
        if value == target:
            continue
        if isinstance(value, list):
            kept = _without(value, target)
            if kept:
                out.append({next(iter(item)): kept})
            continue
        out.append(item)
    return out


def parse_as_of(value: str | date | None) -> date:
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise PluginError(f"kbgen: as_of must be a date written YYYY-MM-DD, not {value!r}") from exc


def interactive() -> bool:
    """A person watches a terminal (not a CI log): progress lines are worth printing."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def terminal_progress() -> Callable[[str, int, int], None] | None:
    """Stage and count on one rewritten line when a person watches a terminal; nothing in CI logs."""
    if not interactive():
        return None

    def show(stage: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r\033[Kkbgen: {stage} {done:,}/{total:,}")
        sys.stderr.flush()

    return show


def serving(config: MkDocsConfig) -> bool:
    """`mkdocs serve` points site_url at its own address. (An on_startup hook would say so directly, but it makes
    MkDocs keep one plugin instance for the whole process, so settings would leak from one build into the next.)"""
    host, port = config.dev_addr
    return urlsplit(config.site_url or "").netloc in (f"{host}:{port}", f"[{host}]:{port}")


class KbgenPlugin(BasePlugin[KbgenConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.as_of_override: date | None = None
        self.audience_override: str | None = None
        self.result: Result | None = None
        self.meta: dict[str, dict[str, object]] = {}  # generated page -> its metadata, set in on_page_markdown
        # A rejected case fails `mkdocs build` (after the good pages are written), as it does `kbgen build`. Not while
        # serving: the preview keeps showing the rest. `kbgen build` turns it off: it swaps the site in, then exits 1.
        self.rejected_fails_build = True

    def check_config(self, config: MkDocsConfig) -> None:
        """Settings MkDocs' option types cannot bound: one clean error, exit 2 from the CLI."""
        c = self.config
        problems = [
            f"{name} must be {rule}"
            for name, ok, rule in (
                ("window_days", 1 <= c.window_days <= MAX_WINDOW_DAYS, f"between 1 and {MAX_WINDOW_DAYS} (100 years)"),
                ("top_count", c.top_count >= 1, "at least 1"),
                ("feed_size", c.feed_size >= 1, "at least 1"),
                ("threshold", 0 <= c.threshold <= 100, "between 0 and 100"),
                ("hourly_rate", 0 <= c.hourly_rate < float("inf"), "0 or more"),
            )
            if not ok
        ]
        if not config.use_directory_urls:
            problems.append("use_directory_urls must stay true: article links and redirects are kb/<id>/")
        if problems:
            raise PluginError("kbgen: " + "; ".join(problems))

    def options(self, config: MkDocsConfig) -> pipeline.Options:
        self.check_config(config)
        root = Path(config.config_file_path or ".").resolve().parent
        as_of = self.as_of_override or parse_as_of(os.environ.get("KBGEN_AS_OF") or self.config.as_of)
        if as_of.toordinal() <= 2 * self.config.window_days:  # the window and the one before it compared for the trend
            raise PluginError(f"kbgen: as_of {as_of} is too early: the top-issues windows ({self.config.window_days} days, twice) "
                              "would start before year 1; use a real date")
        return pipeline.Options(
            cases_dir=root / self.config.cases_dir,
            root_causes=root / self.config.root_causes,
            root=root,
            as_of=as_of,
            window_days=self.config.window_days,
            hourly_rate=float(self.config.hourly_rate),
            threshold=float(self.config.threshold),
            allow_emails=tuple(self.config.allow_emails),
        )

    def settings(self, config: MkDocsConfig) -> pages.Settings:
        return pages.Settings(
            site_url=config.site_url or "",
            site_name=config.site_name,
            top_count=self.config.top_count,
            currency=self.config.currency,
            feed_size=self.config.feed_size,
            feedback_url=self.config.feedback_url,
            audience=self.audience,
            public_top_issues=self.config.public_top_issues,
            window_days=self.config.window_days,
        )

    @property
    def audience(self) -> str:
        # Only kbgen's CLI picks the team's edition (`kbgen serve` passes it to the MkDocs process it runs), so a
        # plain `mkdocs build` always makes the public edition and never writes the team's into site_dir.
        return self.audience_override or os.environ.get("KBGEN_AUDIENCE") or "public"

    @property
    def team(self) -> bool:
        return self.audience == "internal"

    def internal_site_dir(self, config: MkDocsConfig) -> Path:
        return Path(config.config_file_path or ".").resolve().parent / self.config.internal_site_dir

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if config.theme.name == "material" and config.theme.get("font") == MATERIAL_DEFAULT_FONT:
            # Material loads Roboto from Google by default: offline that fails, online it tells Google about every
            # reader. The system font stack, unless the site chose fonts itself (anything but Material's default).
            config.theme["font"] = False
        dirs = config.theme.dirs
        dirs.insert(1 if config.theme.custom_dir else 0, str(PACKAGE / "templates"))
        config.extra_css.append(ASSETS[0])
        config.extra_javascript.append(ASSETS[1])  # type: ignore[arg-type]
        if not self.team and self.config.public_top_issues == "off" and config.nav:
            config.nav = _without(config.nav, "top-issues/index.md")
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        self.meta = {}
        self.result = result = pipeline.run(self.options(config), terminal_progress())
        result.diagnostics += sitecheck.site_url(config.site_url, Path(config.config_file_path or "mkdocs.yml").name)
        for d in result.diagnostics:
            (log.error if d.severity == "error" else log.warning)(d.format())
        settings = self.settings(config)
        generated, data = pages.render(result, settings)
        if interactive():
            sys.stderr.write(f"\r\033[Kkbgen: rendering {len(generated):,} pages\n")
        for page in generated:
            if files.get_file_from_path(page.path) is not None:
                continue  # the site's own docs_dir wins, e.g. a hand-written index.md
            inclusion = InclusionLevel.INCLUDED if page.in_nav else InclusionLevel.NOT_IN_NAV
            # The body alone: metadata is handed over in on_page_markdown, so MkDocs parses no YAML for 10,000 pages.
            files.append(File.generated(config, page.path, content=page.body, inclusion=inclusion))
            self.meta[page.path] = page.meta
            if self.pagefind and page.path.startswith("kb/"):
                page.meta["search"] = {"exclude": True}  # Pagefind indexes articles; Material's index keeps the rest
        for item in [*data, pages.DataFile("feed.xml", feed.atom(result, settings))]:
            files.append(File.generated(config, item.path, content=item.content))
        for asset in ASSETS:
            files.append(File.generated(config, asset, abs_src_path=str(PACKAGE / asset.removeprefix("assets/kbgen/"))))
        if self.pagefind:
            files.append(File.generated(config, search.WORKER, abs_src_path=str(search.WORKER_SOURCE)))
        return files

    @property
    def pagefind(self) -> bool:
        return self.config.search == "pagefind"

    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        meta = self.meta.get(page.file.src_uri)
        if meta is not None:
            page.meta.update(meta)
        return markdown

    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        # Every generated page carries case text. Top issues is built from escaped strings only and holds the
        # chart's SVG, which the sanitiser would drop.
        if page.file.src_uri in self.meta and page.file.src_uri != "top-issues/index.md":
            return safety.sanitise(html, search_label=page.file.src_uri == "index.md")  # its button opens the search
        return html

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        output = search.use_worker(output) if self.pagefind else output
        return editions.mark_page(output) if self.team else output

    def on_post_template(self, output_content: str, /, *, template_name: str, config: MkDocsConfig) -> str | None:
        output = search.use_worker(output_content) if self.pagefind else output_content
        return editions.mark_page(output) if self.team and template_name.endswith(".html") else output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.pagefind:
            try:
                log.info(f"search: {search.index_site(Path(config.site_dir))}")
            except search.SearchIndexError as exc:
                raise PluginError(f"kbgen: building the search index failed: {exc}") from exc
        errors = self.result.errors if self.result else []
        if errors and self.rejected_fails_build and not serving(config):
            rejected = [o.path for o in self.result.outcomes if o.status == "rejected"] if self.result else []
            files = f"{', '.join(rejected[:5])}{', ...' if len(rejected) > 5 else ''}"
            raise PluginError(
                f"kbgen: {count(len(errors), 'error')} (listed above): {count(len(rejected), 'case file')} rejected and not "
                f"published{f' ({files})' if rejected else ''}. Every other page was written to {config.site_dir}. "
                "`kbgen check` lists every problem; `kbgen build` also swaps the site in atomically."
            )

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        opts = self.options(config)
        server.watch(str(opts.cases_dir))
        if opts.root_causes.exists():
            server.watch(str(opts.root_causes))
        return server
