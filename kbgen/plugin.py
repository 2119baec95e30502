"""The MkDocs plugin: hooks only. ``plugins: [search, kbgen]`` turns the cases into the site.

``on_files`` runs the pipeline and ``render``, and hands every page, data file and asset of
the returned ``Site`` to MkDocs as generated files. Pages arrive finished (sanitised HTML and
metadata), so MkDocs runs no Markdown for them. Options live in ``config.py``, terminal
progress in ``progress.py``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import material
from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from . import config as kbconfig
from . import editions, export, pipeline, progress, render, search, sitecheck, theme
from .cache import Caches
from .config import KbgenConfig
from .models import Result
from .words import count
from .workers import count as cores

log = get_plugin_logger(__name__)
MATERIAL_DEFAULT_FONT = {"text": "Roboto", "code": "Roboto Mono"}
MATERIAL_TEMPLATES = Path(material.__file__).resolve().parent / "templates"
"""Material's own templates: only its navigation is known to be the same on every page outside the nav."""
"""Material's mkdocs_theme.yml default: what theme.font holds when the site did not set it."""


class FinishedPage(Page):
    """A page whose body ``render`` already finished: its "source" is that HTML, and MkDocs renders it as is.

    MkDocs would otherwise build a fresh Markdown instance per page and parse the page again.
    """

    def __init__(self, page: render.SitePage, file: File, config: MkDocsConfig) -> None:
        super().__init__(None, file, config)
        self.finished = page
        self.read_source(config)  # at once: a page a dirty rebuild skips still has its title for the nav

    def read_source(self, config: MkDocsConfig) -> None:
        self.markdown, self.meta = self.finished.html, dict(self.finished.meta)

    def render(self, config: MkDocsConfig, files: Files) -> None:
        self.content = self.markdown  # the HTML, after any other plugin's on_page_markdown
        self.toc = get_toc(list(self.finished.toc))  # type: ignore[arg-type]  # the same dicts, kept as plain data


class GeneratedFile(File):
    """A generated file that knows whether this serve session already wrote the same content to the same place.

    MkDocs asks ``is_modified`` only in a dirty build (``kbgen serve``): then a one-case edit rewrites
    the few pages it changed instead of all of them.
    """

    unchanged = False

    def is_modified(self) -> bool:
        return not (self.unchanged and os.path.isfile(self.abs_dest_path))


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


class KbgenPlugin(BasePlugin[KbgenConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.result: Result | None = None
        self.caches = Caches()
        self.serving = False  # only a serve session rebuilds dirty, so only it keeps digests of what it wrote
        self.written: dict[str, bytes] = {}  # file -> digest of what the last build wrote there (site_dir below)
        self.written_to: tuple[str, int] = ("", 0)
        # A rejected case fails `mkdocs build` (after the good pages are written), as it does `kbgen build`. Not while
        # serving: the preview keeps showing the rest. `kbgen build` turns it off: it swaps the site in, then exits 1.
        self.rejected_fails_build = True
        self.indexing: threading.Thread | None = None  # serve: Pagefind runs after the preview is up
        self.early: search.EarlyIndex | None = None  # build: Pagefind runs while MkDocs writes the pages
        self.nav_urls: frozenset[str] = frozenset()

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup makes MkDocs keep this instance for a whole `mkdocs serve` / `kbgen serve`
        # session, so self.caches (parsed files, pair scores, rendered bodies) lasts from one rebuild to the next.
        self.caches = Caches()
        self.serving = command == "serve"

    def options(self, config: MkDocsConfig) -> pipeline.Options:
        return kbconfig.pipeline_options(self.config, config)

    @property
    def team(self) -> bool:
        """Building the team's edition (only kbgen's CLI asks for it: a plain `mkdocs build` is always public)."""
        return kbconfig.audience() == "internal"

    def internal_site_dir(self, config: MkDocsConfig) -> Path:
        return Path(config.config_file_path or ".").resolve().parent / self.config.internal_site_dir

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if config.theme.name == "material" and config.theme.get("font") == MATERIAL_DEFAULT_FONT:
            # Material loads Roboto from Google by default: offline that fails, online it tells Google about every
            # reader. The system font stack, unless the site chose fonts itself (anything but Material's default).
            config.theme["font"] = False
        self.result = None  # MkDocs may hand this instance to the next build too: no result of an earlier one
        dirs = config.theme.dirs
        dirs.insert(1 if config.theme.custom_dir else 0, str(render.TEMPLATES))
        config.extra_css.append(render.CSS)
        config.extra_javascript.append(render.JS)  # type: ignore[arg-type]
        if not self.team and self.config.public_top_issues == "off" and config.nav:
            config.nav = kbconfig.without(config.nav, "top-issues/index.md")
        return config

    def _file(self, config: MkDocsConfig, path: str, what: object, **source: Any) -> GeneratedFile:
        file = cast(GeneratedFile, GeneratedFile.generated(config, path, **source))
        if self.serving:
            digest = _digest(what)
            file.unchanged = self.written.get(path) == digest
            self.written[path] = digest
        return file

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        self.wait_for_index()
        # A new site folder, or an edited mkdocs.yml (theme, extensions), and every page is written again.
        target = (config.site_dir, os.stat(config.config_file_path).st_mtime_ns if config.config_file_path else 0)
        if self.written_to != target:
            self.written, self.written_to = {}, target
        options = replace(self.options(config), team_edition=self.team)  # a public site never reads the team's edition
        # The cases and root causes are kbgen's input, even kept inside docs_dir: MkDocs would publish each case file
        # as a page of its own (internal notes, internal cases, customers) and root-causes.yml as a download. Nor is
        # a team's edition that was built into docs_dir ever part of a site.
        inputs = [options.cases_dir.resolve(), options.root_causes.resolve(), self.internal_site_dir(config).resolve()]
        for file in [f for f in files if f.abs_src_path and export.is_input(Path(f.abs_src_path), inputs)]:
            files.remove(file)
        self.result = result = pipeline.run(options, progress.terminal_progress(), self.caches)
        result.diagnostics += sitecheck.site_url(config.site_url, Path(config.config_file_path or "mkdocs.yml").name)
        for d in result.diagnostics:
            (log.error if d.severity == "error" else log.warning)(d.format())
        site = render.render(result, kbconfig.render_settings(self.config, config), self.caches.bodies, cores())
        progress.rendered(len(site.pages))
        searchable: dict[str, str] = {}
        for page in site.pages:
            if files.get_file_from_path(page.path) is not None:
                continue  # the site's own docs_dir wins, e.g. a hand-written index.md
            inclusion = InclusionLevel.INCLUDED if page.in_nav else InclusionLevel.NOT_IN_NAV
            file = self._file(config, page.path, page, content=page.html, inclusion=inclusion)
            FinishedPage(page, file, config)
            files.append(file)
            if page.searchable and search.matches(file.dest_uri):
                searchable[file.dest_uri] = page.html
        if self.pagefind and not self.serving:
            # Indexed from the rendered bodies while MkDocs writes the pages (checked against each page it writes)
            lang = str(config.theme.get("language") or "en")
            self.early = search.EarlyIndex({rel: search.document(body, lang) for rel, body in searchable.items()},
                                           near=Path(config.site_dir).resolve().parent)
        for item in site.data:
            files.append(self._file(config, item.path, item.content, content=item.content))
        for asset in site.assets:
            files.append(File.generated(config, asset.path, abs_src_path=str(asset.source)))
        return files

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        self.nav_urls = frozenset(page.url for page in nav.pages)
        return nav

    def on_env(self, env: Environment, /, *, config: MkDocsConfig, files: Files) -> Environment | None:
        # Material's navigation sidebar once per folder of pages outside the nav (every article), its search box and
        # its words once, not once per page
        theme.share(env, self.nav_urls, lambda filename: MATERIAL_TEMPLATES in Path(filename).resolve().parents)
        return env

    @property
    def pagefind(self) -> bool:
        return self.config.search == "pagefind"

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        output = search.use_worker(output) if self.pagefind else output
        output = editions.mark_page(output) if self.team else output
        if self.early is not None:
            self.early.check(page.file.dest_uri, output)
        return output

    def on_post_template(self, output_content: str, /, *, template_name: str, config: MkDocsConfig) -> str | None:
        output = search.use_worker(output_content) if self.pagefind else output_content
        return editions.mark_page(output) if self.team and template_name.endswith(".html") else output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        errors = self.result.errors if self.result else []
        if errors and self.rejected_fails_build and not self.serving:
            rejected = [o.path for o in self.result.outcomes if o.status == "rejected"] if self.result else []
            files = f"{', '.join(rejected[:5])}{', ...' if len(rejected) > 5 else ''}"
            failure: PluginError | None = PluginError(
                f"kbgen: {count(len(errors), 'error')} (listed above): {count(len(rejected), 'case file')} rejected and not "
                f"published{f' ({files})' if rejected else ''}. Every other page was written to {config.site_dir}. "
                "`kbgen check` lists every problem; `kbgen build` also swaps the site in atomically."
            )
        else:
            failure = None
        if self.pagefind:
            if self.serving:
                # The preview shows the edited page as soon as MkDocs is done; its search index follows a few
                # seconds later. The next rebuild waits for this one (on_files), so two never write the index at once.
                self.indexing = threading.Thread(target=self._index_in_background, args=(Path(config.site_dir),), daemon=True)
                self.indexing.start()
            else:
                early, self.early = self.early, None
                try:
                    stats = early.finish(Path(config.site_dir)) if early is not None else None
                    log.info(f"search: {stats or search.index_site(Path(config.site_dir))}")
                except search.SearchIndexError as exc:
                    raise PluginError(f"kbgen: building the search index failed: {exc}") from exc
        if failure is not None:  # after the good pages and their search index are written
            raise failure

    def on_build_error(self, *, error: Exception) -> None:
        early, self.early = self.early, None
        if early is not None:
            early.cancel()

    def _index_in_background(self, site_dir: Path) -> None:
        try:
            log.info(f"search: {search.index_site(site_dir)}")
        except search.SearchIndexError as exc:
            log.error(f"kbgen: building the search index failed: {exc}")

    def wait_for_index(self) -> None:
        if self.indexing is not None:
            self.indexing.join()
            self.indexing = None

    def on_shutdown(self) -> None:
        self.wait_for_index()

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        opts = self.options(config)
        server.watch(str(opts.cases_dir))
        if opts.root_causes.exists():
            server.watch(str(opts.root_causes))
        return server
