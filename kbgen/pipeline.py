"""The whole content pipeline, free of MkDocs: load -> validate -> dedupe -> link -> rank.

``run()`` reads the disk once and returns a :class:`Result`; rendering is separate
(``render.render``) so any Material-compatible builder could use the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import dedupe, link, load, rank, validate
from .cache import Caches
from .models import Diagnostic, Outcome, RawCase, Result


@dataclass(frozen=True)
class Options:
    """What the pipeline needs from the plugin configuration, with paths already resolved."""

    cases_dir: Path
    root_causes: Path
    root: Path | None = None  # paths in diagnostics are shown relative to this folder
    as_of: date = field(default_factory=date.today)
    window_days: int = 90
    hourly_rate: float = 0.0
    threshold: float = dedupe.DEFAULT_THRESHOLD
    allow_emails: tuple[str, ...] = ()


def run(options: Options, progress: load.Progress | None = None, caches: Caches | None = None) -> Result:
    """Run every stage; ``progress(stage, done, total)`` is told how far it got (a terminal shows it).

    ``caches`` lets a long-lived caller (``kbgen serve``) reuse parsed files and pair scores between
    runs; without it the run starts cold and keeps nothing.
    """
    def step(stage: str, total: int) -> None:
        if progress:
            progress(stage, total, total)

    caches = caches or Caches()
    diagnostics: list[Diagnostic] = []
    raws: list[tuple[str, RawCase | None]] = []
    if options.cases_dir.is_dir():
        raws, diagnostics = load.load_cases(options.cases_dir, options.root, progress, caches.files)
    else:  # every later stage still runs, on no cases, so the site and the summary come out whole
        diagnostics.append(load.diag(load.display_path(options.cases_dir, options.root), 1,
                                     "cases folder not found; create it or set the plugin's cases_dir"))
    rc_data, rc_lines, rc_problems = load.load_root_causes(options.root_causes, options.root)
    rc_path = load.display_path(options.root_causes, options.root)
    checked = validate.validate(raws, rc_data, rc_lines, rc_path, options.allow_emails)
    result = Result(as_of=options.as_of, cases=checked.cases, root_causes=checked.root_causes)
    result.diagnostics = diagnostics + rc_problems + checked.diagnostics
    public = [c for c in checked.cases if c.public]
    step("validate", len(raws))
    found = dedupe.dedupe(public, options.threshold, cache=caches)
    result.groups, result.near_misses = found.groups, found.near_misses
    result.diagnostics += found.diagnostics
    step("dedupe", len(public))
    by_id = {c.id: c for c in public}
    result.articles, linked = link.link(found.groups, by_id, checked.root_causes)
    result.diagnostics += linked
    result.top = rank.rank(result.articles, options.as_of, options.window_days, options.hourly_rate)
    result.since_fix = rank.since_fix(result.articles, options.as_of)
    step("rank", len(result.articles))
    result.outcomes = outcomes(raws, checked, result)
    result.diagnostics = sorted(set(result.diagnostics))
    return result


def outcomes(raws: Sequence[tuple[str, object]], checked: validate.Validated, result: Result) -> list[Outcome]:
    """What became of every case file, so the summary accounts for each one."""
    article_of = {case.id: article.id for article in result.articles for case in article.cases}
    by_path = {c.path: c for c in checked.cases}
    unreadable: dict[str, str] = {}
    for d in result.diagnostics:  # the first error of a file that could not be read is its reason
        if d.severity == "error":
            unreadable.setdefault(d.path, d.message)
    out: list[Outcome] = []
    for path, _raw in raws:
        case = by_path.get(path)
        if case is None:
            reason = checked.rejected.get(path) or unreadable.get(path, "could not be read")
            out.append(Outcome(path, "rejected", reason=reason))
        elif not case.public:
            out.append(Outcome(path, "internal", case.id))
        elif article_of.get(case.id) == case.id:
            out.append(Outcome(path, "published", case.id, case.id))
        else:
            out.append(Outcome(path, "merged", case.id, article_of.get(case.id)))
    return out
