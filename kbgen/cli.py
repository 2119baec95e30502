"""The ``kbgen`` command: a thin click wrapper around the pipeline and ``mkdocs build``."""

from __future__ import annotations

import atexit
import gc
import json
import os
import re
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import words

# Everything heavy (MkDocs, Material, the pipeline, numpy...) is imported inside the command that needs it:
# a cached `kbgen similar` answers in well under a second only if starting the command costs little.
if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from .models import Article, Diagnostic, Result
    from .plugin import KbgenPlugin

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INVALID = 1
EXIT_USAGE = 2


def config_option(f: F) -> F:
    return click.option("-f", "--config-file", default="mkdocs.yml", show_default=True, type=click.Path(dir_okay=False),
                        help="The MkDocs configuration of the knowledge base.")(f)


def _as_of(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    # The one override of the date is KBGEN_AS_OF (config.as_of reads it): set it while this command runs.
    if value is not None:
        from . import config as kbconfig

        ctx.with_resource(kbconfig.as_of_override(value.date()))
    return value


def as_of_option(f: F) -> F:
    return click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, callback=_as_of, expose_value=False,
                        help="Date that time windows end on (YYYY-MM-DD); default: KBGEN_AS_OF, the plugin's as_of, else today.")(f)


def _audience(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    # The edition is set while this command runs (and for `serve`, its rebuilds), never after, and never in the environment.
    if value is not None:
        from . import config as kbconfig

        ctx.with_resource(kbconfig.audience_override(value))
    return value


def audience_option(f: F) -> F:
    return click.option("--audience", type=click.Choice(["public", "internal"]), default=None, callback=_audience,
                        expose_value=False,
                        help="Which edition: `public` (site_dir, the default) or `internal`, the team's edition with internal "
                             "cases, notes, customers and cost (internal_site_dir).")(f)


def cache_option(f: F) -> F:
    return click.option("--no-cache", "no_cache", is_flag=True, expose_value=False,
                        callback=lambda ctx, param, value: ctx.meta.__setitem__("kbgen_no_cache", value),
                        help="Parse and check every file afresh, and keep nothing for the next command.")(f)


def strict_option(f: F) -> F:
    return click.option("--strict", is_flag=True, help="Warnings fail too (what CI runs).")(f)


def _logging(verbose: bool) -> None:
    import logging  # here: `kbgen similar` logs nothing, and the import is a twentieth of its time budget

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    root = logging.getLogger("mkdocs")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False


def open_config(config_file: str, **overrides: Any) -> tuple[MkDocsConfig, KbgenPlugin]:
    """Load mkdocs.yml and find the kbgen plugin in it; usage errors exit 2 with one clean line."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    from .plugin import KbgenPlugin

    if not Path(config_file).is_file():
        raise click.UsageError(f"{config_file} not found: run `kbgen init DIR` to start a knowledge base, or pass -f PATH")
    try:
        cfg = load_config(config_file, **overrides)
    except (ConfigurationError, Abort) as exc:
        raise click.UsageError(f"{config_file}: {exc}") from exc
    plugin = cfg.plugins.get("kbgen")
    if not isinstance(plugin, KbgenPlugin):
        raise click.UsageError(f"{config_file}: add `kbgen` to `plugins:` (plugins: [search, kbgen])")
    try:
        plugin.options(cfg)  # settings and the as_of date are checked before any work
    except PluginError as exc:
        raise click.UsageError(f"{config_file}: {exc}") from exc
    return cfg, plugin


def check_editions(cfg: MkDocsConfig, plugin: KbgenPlugin) -> tuple[Path, Path]:
    """The two editions' folders, (public, internal); refused unless separate, and the team's outside docs_dir.
    `kbgen check` refuses them too (through check_site_dir), so that nothing `check` passes fails the build."""
    public, internal = Path(cfg.site_dir).resolve(), plugin.internal_site_dir(cfg).resolve()
    if public == internal or public in internal.parents or internal in public.parents:
        raise click.UsageError(f"internal_site_dir {internal} and site_dir {public} must be separate folders: "
                               "the team's edition must never be published with the public one")
    docs = Path(cfg.docs_dir).resolve()
    if docs == internal or docs in internal.parents:  # MkDocs refuses a site_dir there itself
        raise click.UsageError(f"internal_site_dir {internal} is inside docs_dir {docs}: MkDocs publishes every file of "
                               "docs_dir, so the next public build would publish the team's edition; choose a folder outside it")
    return public, internal


def check_site_dir(site: Path, cfg: MkDocsConfig, plugin: KbgenPlugin) -> None:
    """Building replaces the site folder whole: refuse one that holds the content or the configuration,
    and never let one edition's folder hold the other's (the team's edition must not land in the public site)."""
    opts = plugin.options(cfg)
    keep = [opts.cases_dir, opts.root_causes, Path(cfg.docs_dir), Path(cfg.config_file_path or "mkdocs.yml")]
    public, internal = check_editions(cfg, plugin)
    other = public if plugin.team else internal
    site = site.resolve()
    if other == site or other in site.parents or site in other.parents:  # never one edition in the other's folder
        raise click.UsageError(f"{site} overlaps {other}, the other edition's folder; build each edition into its own")
    for path in keep:
        path = path.resolve()
        if path == site or site in path.parents:
            raise click.UsageError(f"site_dir {site} would replace {path}; build into a folder of its own")


def run_pipeline(cfg: MkDocsConfig, plugin: KbgenPlugin, merge_only: bool = False) -> Result:
    from mkdocs.exceptions import PluginError

    from . import pipeline
    from .cache import Store

    # Commands that only report keep their parses and verdicts between runs (the build always starts afresh)
    ctx = click.get_current_context(silent=True)
    store = None if ctx is None or ctx.meta.get("kbgen_no_cache", True) else Store.for_project(Path(cfg.config_file_path or "mkdocs.yml"))
    caches = store.read() if store else None  # a command without a store keeps nothing for the next
    # The cycle collector is paused for the whole run: every stage keeps what the one before made, so each of its
    # full passes walked every case read so far (4.8 s at 100,000 cases, while the worker processes waited); then...
    gc.disable()
    try:
        result = pipeline.run(plugin.options(cfg), caches=caches, merge_only=merge_only)
    except PluginError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        # ...what the run made, which lives until the command exits, is frozen: the collector's next passes skip it
        # instead of walking every case again while the command prints (1-3 s at 100,000 cases)
        gc.freeze()
        gc.enable()
    if store and caches:
        store.write(caches)
    return result


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kbgen")
def main() -> None:
    """kbgen: resolved support cases in, a searchable self-help knowledge base and a top-issues page out."""
    # What a command made (every parsed case) lives until the process exits. Frozen then, it is left out of the
    # interpreter's last cycle collection, which otherwise walks all of it: 5.5 s after `kbgen dupes` on
    # 100,000 cases. Once per process, however many commands a test runs in it.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def this_command() -> str:
    """How to run this very kbgen from any folder: `kbgen` when that is what PATH finds, else its full path."""
    script = Path(sys.argv[0])
    if script.name != "kbgen":  # run as `python -m kbgen.cli` or from a test runner
        return f"{shlex.quote(sys.executable)} -m kbgen.cli"
    found = shutil.which("kbgen")
    if found and Path(found).resolve() == script.resolve():
        return "kbgen"
    return shlex.quote(str(script.resolve()))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--name", default="Knowledge base", show_default=True, help="The site's name.")
@click.option("--site-url", default="", help="Where the site will be published, e.g. https://support.example.com/ (sets site_url).")
def init(directory: str, name: str, site_url: str) -> None:
    """Scaffold a new knowledge base in DIRECTORY that builds as it is."""
    from . import scaffold

    target = Path(directory)
    if site_url and not re.match(r"^https?://\S+$", site_url):
        raise click.UsageError(f"--site-url must be an http(s) URL, not {site_url!r}")
    try:
        written = scaffold.init(target, name, site_url=site_url)
    except FileExistsError as exc:
        raise click.UsageError(f"{exc}: kbgen init never overwrites; pick an empty folder") from exc
    for path in written:
        click.echo(f"created {path}")
    if not site_url:
        click.echo(f"\nSet site_url in {target / 'mkdocs.yml'} before you publish: feed and JSON links need it "
                   "(`build --strict` fails until then).")
    strict = " --strict" if site_url else ""
    click.echo(f"\nNext: cd {shlex.quote(directory)} && {this_command()} build{strict}")


def summary_lines(result: Result, limit: int = 300, team: bool = False) -> list[str]:
    from .models import article_url

    counts = {s: sum(o.status == s for o in result.outcomes) for s in ("published", "merged", "internal", "rejected")}
    total = len(result.outcomes)
    published = counts["published"]
    lines = [
        f"{words.count(total, 'case file')}: {published} published as {'an article' if published == 1 else 'articles'}, "
        f"{counts['merged']} merged into an article, {counts['internal']} internal, {counts['rejected']} rejected"
    ]
    detail = [o for o in result.outcomes if o.status != "published"]
    shown = detail if len(detail) <= limit else [o for o in detail if o.status == "rejected"]
    for o in shown:
        if o.status == "merged":
            lines.append(f"  merged    {o.path} ({o.case_id}) -> {article_url(o.article or '')}")
        elif o.status == "internal":
            where = "in the team's edition only" if team else "kept off the public site"
            lines.append(f"  internal  {o.path} ({o.case_id}) {where}")
        else:
            lines.append(f"  rejected  {o.path}: {o.reason}")
    if len(shown) < len(detail):
        lines.append(f"  ({len(detail) - len(shown)} merged and internal files not listed; `kbgen build --report FILE` lists every file)")
    return lines


_TSV_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


def write_report(result: Result, path: str) -> None:
    """One row of five fields per case file: a tab or line break in a file name, or in a reason quoting case text, is
    written as ``\\t``, ``\\n``, ``\\r`` (raw, it would split the row or shift its columns)."""
    with open(path, "w", encoding="utf-8") as out:
        out.write("path\tstatus\tcase\tarticle\treason\n")
        for o in result.outcomes:
            fields = (o.path, o.status, o.case_id or "", o.article or "", o.reason or "")
            out.write("\t".join(f.translate(_TSV_ESCAPES) for f in fields) + "\n")


@main.command()
@config_option
@strict_option
@as_of_option
@click.option("-d", "--site-dir", default=None, type=click.Path(file_okay=False), help="Where to write the site (default: mkdocs.yml's site_dir).")
@click.option("--report", default=None, type=click.Path(dir_okay=False), help="Also write what became of every case file as TSV.")
@click.option("-v", "--verbose", is_flag=True, help="Show MkDocs' info messages too.")
@audience_option
def build(config_file: str, strict: bool, site_dir: str | None, report: str | None, verbose: bool) -> None:
    """Build the site (mkdocs build plus a summary of every case file).

    The site is built into a temporary folder and moved into place only when the
    build succeeds, so a failed build never destroys the last good site.
    """
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    from . import deploy

    _logging(verbose)
    start = time.perf_counter()
    cfg, plugin = open_config(config_file, strict=strict)
    plugin.rejected_fails_build = False  # the good pages are swapped in below, then this command exits 1
    site = Path(site_dir).resolve() if site_dir else plugin.internal_site_dir(cfg) if plugin.team else Path(cfg.site_dir)
    check_site_dir(site, cfg, plugin)
    tmp = deploy.prepare(site)
    cfg.site_dir = str(tmp)
    try:
        mkdocs_build(cfg)
    except (Abort, PluginError, ConfigurationError) as exc:
        plugin.rejected_fails_build = True  # MkDocs keeps this instance for later builds in this process
        deploy.discard(tmp)
        if plugin.result is not None:
            click.echo("\n".join(summary_lines(plugin.result)), err=True)
        click.echo(f"Build failed, {site} left as it was: {mkdocs_counts(str(exc))}", err=True)
        sys.exit(EXIT_INVALID)
    except BaseException:
        plugin.rejected_fails_build = True
        deploy.discard(tmp)
        raise
    plugin.rejected_fails_build = True
    deploy.publish(tmp, site)
    result = plugin.result
    assert result is not None
    if report:
        write_report(result, report)
    click.echo("\n".join(summary_lines(result, team=plugin.team)))
    edition = "the team's edition" if plugin.team else "the public edition"
    articles = result.team_articles if plugin.team else result.articles
    click.echo(f"Built {edition}, {words.count(len(articles), 'article')}, into {site} in {time.perf_counter() - start:.1f} s "
               f"(as of {result.as_of}).")
    if result.errors:
        rejected = sum(o.status == "rejected" for o in result.outcomes)
        click.echo(f"{words.count(len(result.errors), 'error')}: {words.count(rejected, 'case file')} rejected (listed above) and not published. "
                   "`kbgen check` lists every problem.", err=True)
        sys.exit(EXIT_INVALID)


def mkdocs_counts(message: str) -> str:
    """MkDocs' own "Aborted with 1 warnings in strict mode!" with its plurals right."""
    return re.sub(r"\b(\d+) (error|warning)s\b", lambda m: words.count(int(m.group(1)), m.group(2)), message)


def format_diagnostic(d: Diagnostic, fmt: str) -> str:
    if fmt == "github":
        def prop(s: str) -> str:
            return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")

        msg = d.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{d.severity} file={prop(d.path)},line={d.line}::{msg}"
    return d.format()


@main.command()
@config_option
@strict_option
@as_of_option
@cache_option
@click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text", show_default=True,
              help="`github` prints GitHub Actions annotations.")
def check(config_file: str, strict: bool, fmt: str) -> None:
    """Validate cases and root causes without rendering; list every problem as path:line: message."""
    from . import sitecheck

    cfg, plugin = open_config(config_file)
    check_site_dir(Path(cfg.site_dir), cfg, plugin)  # what a plain `kbgen build` would refuse
    result = run_pipeline(cfg, plugin)
    result.diagnostics += sitecheck.site_url(cfg.site_url, Path(cfg.config_file_path or config_file).name)
    for d in result.diagnostics:
        click.echo(format_diagnostic(d, fmt))
    files = len(result.outcomes)
    if fmt == "text":
        click.echo(f"{words.count(len(result.errors), 'error')}, {words.count(len(result.warnings), 'warning')} in {words.count(files, 'case file')}.")
    if result.errors or (strict and result.warnings):
        sys.exit(EXIT_INVALID)


@main.command()
@config_option
@cache_option
@click.option("--json", "as_json", is_flag=True, help='Print {"groups": [...]} as the contract defines.')
@click.option("--near-misses", "near_limit", default=50, show_default=True, type=click.IntRange(0), help="How many near misses to list (the JSON has all).")
def dupes(config_file: str, as_json: bool, near_limit: int) -> None:
    """The duplicate groups a build would merge, with scores, and the near misses under the threshold."""
    from .models import article_url

    result = run_pipeline(*open_config(config_file), merge_only=True)  # groups and near misses only: no ranking
    groups = [g for g in result.groups if len(g.members) > 1]
    if as_json:
        data = {
            "groups": [{"article": g.canonical, "cases": list(g.members), "score": round(g.score, 1),
                        "pairs": [{"a": a, "b": b, "score": round(s, 1), "why": w} for a, b, s, w in g.reasons]} for g in groups],
            "near_misses": [{"a": n.a, "b": n.b, "score": round(n.score, 1), "why": n.why} for n in result.near_misses],
        }
        click.echo(json.dumps(data, indent=2))
        return
    cases = {c.id: c for c in result.cases}
    for g in groups:
        click.echo(f"{article_url(g.canonical)}  {len(g.members)} cases, lowest score {g.score:.1f}: {cases[g.best].title}")
        for a, b, s, why in g.reasons:
            click.echo(f"    {a} ~ {b}  {s:5.1f}  {why}")
    if result.near_misses:
        click.echo("\nNear misses (not merged; add duplicate_of to merge, not_duplicate_of to silence):")
        for n in result.near_misses[:near_limit]:
            click.echo(f"    {n.a} ~ {n.b}  {n.score:5.1f}  {n.why}")
        if len(result.near_misses) > near_limit:
            click.echo(f"    ... {len(result.near_misses) - near_limit} more (--near-misses N, or --json)")
    merged = sum(len(g.members) for g in groups)
    click.echo(f"\n{words.count(len(groups), 'group')} {words.verb(len(groups), 'merges', 'merge')} {words.count(merged, 'case')}; "
               f"{words.count(len(result.near_misses), 'near miss', 'near misses')}.")


@main.command()
@config_option
@as_of_option
@cache_option
@click.option("--json", "as_json", is_flag=True, help="Print the edition's api/top-issues.json instead.")
@click.option("--count", type=int, default=None, help="How many to show (default: the plugin's top_count).")
@audience_option
def top(config_file: str, as_json: bool, count: int | None) -> None:
    """The top repeat problems in the window, as on the top-issues page (the table shows cost: it is for the team)."""
    from . import rank

    cfg, plugin = open_config(config_file)
    result = run_pipeline(cfg, plugin)
    t = result.team_top if plugin.team else result.top
    if as_json:
        team_fields = plugin.team or plugin.config.public_top_issues == "full"
        click.echo(json.dumps(rank.issues_to_json(t, cfg.site_url or "", team_fields=team_fields), indent=2, ensure_ascii=False))
        return
    n = count or plugin.config.top_count
    click.echo(f"Top issues: {words.count(t.total_cases, 'case')} in the {words.count(t.window_days, 'day')} to {t.as_of}\n")
    currency = plugin.config.currency
    click.echo(f"{'#':>2}  {'cases':>5} {'share':>6} {'cum.':>6} {'cust.':>5} {'hours':>7} {'cost ' + currency:>11} {'prev':>5}  {'root cause':<28} article")
    for i in t.issues[:n]:
        rc = i.article.root_cause
        rc_text = f"{rc.id} {rc.kind}/{rc.status}" if rc else "-"
        flags = f"  [{', '.join(i.flags)}]" if i.flags else ""
        click.echo(f"{i.rank:>2}  {i.cases:>5} {i.share:>6.0%} {i.cumulative_share:>6.0%} {i.customers:>5} {i.agent_hours:>7.1f} "
                   f"{i.cost:>11,.0f} {i.previous_cases:>5}  {rc_text:<28} {i.article.id}: {i.article.best.title}{flags}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.command()
@config_option
@click.option("-a", "--dev-addr", default="127.0.0.1:8000", show_default=True, help="Address to serve on.")
@as_of_option
@audience_option
def serve(config_file: str, dev_addr: str) -> None:
    """Live preview: rebuilds when a case, root cause or page changes."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    open_config(config_file)
    _logging(True)
    # `docker stop`, systemd and a test's terminate() send SIGTERM: shut down as on Ctrl-C, so MkDocs removes its
    # temporary site and the search index running in the background finishes and removes its temporary folders.
    signal.signal(signal.SIGTERM, _interrupt)
    # A dirty rebuild: MkDocs rewrites only the files the plugin marks changed, so an edit shows in seconds.
    mkdocs_serve(config_file=config_file, dev_addr=dev_addr, livereload=True, build_type="dirty")


@main.command()
@config_option
@as_of_option
@click.argument("directory", type=click.Path(file_okay=False))
def export(config_file: str, directory: str) -> None:
    """Write the site as a plain MkDocs project in DIRECTORY (no kbgen plugin), for `mkdocs build` or any builder.

    Pages come finished (case text sanitised), data files and assets included; search is
    Material's own (Pagefind needs the plugin). The way out if MkDocs or Material stops.
    """
    from . import config as kbconfig
    from . import export as kbexport
    from . import render

    cfg, plugin = open_config(config_file)
    result = run_pipeline(cfg, plugin)
    for d in result.diagnostics:
        click.echo(d.format(), err=True)
    settings = replace(kbconfig.render_settings(plugin.config, cfg), search="material")
    site = render.render(result, settings, plugin.caches.bodies)
    try:
        count = kbexport.write(site, Path(directory), kbconfig.export_project(cfg, plugin.options(cfg)))
    except FileExistsError as exc:
        raise click.UsageError(f"{exc}: export writes into a new or empty folder") from exc
    except kbexport.ExportError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"Exported {len(site.pages)} pages ({count} files) into {directory}; build it with "
               f"`mkdocs build -f {Path(directory) / 'mkdocs.yml'}` (as of {result.as_of}).")
    if result.errors:
        click.echo(f"{len(result.errors)} errors: the files above were not exported.", err=True)
        sys.exit(EXIT_INVALID)


@main.command()
@config_option
@click.option("--title", default="", help="The problem as a customer would search for it.")
@click.option("--product", default="", help="Product name.")
@click.option("--dir", "folder", default=None, type=click.Path(file_okay=False), help="Where to write (default: the cases folder).")
def new(config_file: str, title: str, product: str, folder: str | None) -> None:
    """Write a new case file with a fresh id and the section skeleton, every blank marked TODO; prints its path."""
    from . import scaffold

    cfg, plugin = open_config(config_file)
    opts = plugin.options(cfg)
    target = Path(folder) if folder else opts.cases_dir
    try:
        path = scaffold.new_case(opts.cases_dir, target, title=title, product=product, today=date.today())
    except FileExistsError as exc:
        raise click.UsageError(f"{exc.filename} already exists; its id differs from its file name, so pick the id by hand") from exc
    click.echo(shown_path(path))


def shown_path(path: Path) -> str:
    """A path as you would type it here: relative under the current folder, absolute elsewhere."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


@main.command()
@config_option
@cache_option
@click.argument("draft")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="How many articles to list.")
@click.option("--json", "as_json", is_flag=True, help='Print {"results": [...]}.')
@click.option("--semantic/--no-semantic", default=None,
              help="Re-order the best candidates by meaning with the sentence-embedding model (the default when it is "
                   "installed), or rank by words alone.")
def similar(config_file: str, draft: str, limit: int, as_json: bool, semantic: bool | None) -> None:
    """The published articles closest to DRAFT (a case file or a quoted text), best first."""
    from . import similar as sim  # imported here: only this command needs it

    # An unchanged mkdocs.yml answers from what an earlier call read of it (MkDocs, Material and the plugin
    # are not even imported); the index is kept per content hash of every input (cases, root causes, settings):
    # an unchanged knowledge base answers without running the pipeline, a changed one is re-indexed.
    loaded: list[tuple[MkDocsConfig, KbgenPlugin]] = []

    def configured() -> tuple[MkDocsConfig, KbgenPlugin]:
        if not loaded:
            loaded.append(open_config(config_file))
        return loaded[0]

    cache = Path(config_file).resolve().parent / ".cache" / "kbgen"
    fingerprint = sim.config_fingerprint(Path(config_file))
    setup = sim.recorded_setup(cache, fingerprint)
    if setup is None:
        from mkdocs.exceptions import PluginError

        cfg, plugin = configured()
        try:
            opts = plugin.options(cfg)
        except PluginError as exc:
            raise click.UsageError(str(exc)) from exc
        setup = sim.Setup(repr(replace(opts, as_of=date.min)), str(opts.cases_dir), str(opts.root_causes), cfg.site_url or "")
        sim.record_setup(cache, fingerprint, setup)
    key = sim.content_key(setup.settings, sim.input_files(setup.cases_dir, setup.root_causes), cache / "files.json")
    def articles() -> list[Article]:
        return run_pipeline(*configured()).articles

    index = sim.cached_index(cache, key, articles)
    try:
        is_file = "\n" not in draft and len(draft) < 4096 and Path(draft).is_file()
    except OSError:
        is_file = False
    text = Path(draft).read_text(encoding="utf-8") if is_file else draft
    query = sim.parse_draft(text)
    own = [query.id] if query.id else []
    from .semantic import INSTALL, MissingModel, available

    if "numpy" not in sys.modules:  # a saved index: numpy will multiply only the query's few tokens
        # One OpenBLAS thread: for such small products starting and handing work to a second thread costs more
        # than it saves, and on a busy machine (a second core taken) far more (0.7 s against 1.0-1.8 s a call, measured).
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if semantic is None:
        semantic = available()
        if not semantic:  # say so: this install ranks differently from one with the model
            click.echo(f"kbgen similar: ranking by words alone (for ranking by meaning too: {INSTALL}; --no-semantic hides this)", err=True)
    try:
        try:
            hits = index.search(query, limit, exclude=own, semantic=semantic)
        except ValueError:  # a saved index naming an article it does not hold (damaged): built again, not trusted
            sim.discard(cache, key)
            hits = sim.cached_index(cache, key, articles).search(query, limit, exclude=own, semantic=semantic)
    except MissingModel as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({"results": [{"article": a.id, "title": a.title, "url": f"{setup.site_url}{a.url}", "score": round(s, 3)}
                                           for a, s in hits]}, indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo("No similar articles: write the case.")
    for a, s in hits:
        click.echo(f"{s:6.2f}  {a.url}  {a.title}")


if __name__ == "__main__":  # pragma: no cover
    main()
