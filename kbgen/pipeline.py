"""The whole content pipeline, free of MkDocs: load -> validate -> dedupe -> link -> rank.

``run()`` reads the disk once and returns a :class:`Result`; rendering is separate
(``render.render``) so any Material-compatible builder could use the same data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from . import dedupe, link, load, rank, validate
from .cache import BoundedCache, Caches
from .models import Case, Diagnostic, Group, Outcome, Result


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
    workers: int = 1  # processes that read and check many case files at once (kbgen.workers)
    team_edition: bool = True
    """Also make the team's edition (internal cases in the articles). A public build leaves it out: nothing it
    shows reads it, and it is a second dedupe. `kbgen check` keeps it, so its warnings about internal cases stay."""


def run(options: Options, progress: load.Progress | None = None, caches: Caches | None = None, *,
        merge_only: bool = False) -> Result:
    """Run every stage; ``progress(stage, done, total)`` is told how far it got (a terminal shows it).

    ``caches`` lets a long-lived caller (``kbgen serve``) reuse parsed files and pair scores between
    runs; without it the run starts cold and keeps nothing (no parse, verdict or text is stored for a next run:
    at 100,000 cases storing them took 2 s of this process's time, while the other core had nothing to do). ``merge_only`` stops after dedupe, for a
    caller that shows only the groups and near misses (`kbgen dupes`): no articles, editions or ranking.

    A one-shot command runs it with the cycle collector paused (``kbgen.cli.run_pipeline``); each stage that makes
    many objects pauses it too (:func:`kbgen.cache.no_cycle_collection`).
    """
    def step(stage: str, total: int) -> None:
        if progress:
            progress(stage, total, total)

    keep = caches is not None
    caches = caches or Caches()
    diagnostics: list[Diagnostic] = []
    causes: list[tuple[dict[str, object] | None, load.LineMap, list[Diagnostic]]] = []
    rc_path = load.display_path(options.root_causes, options.root)

    def root_causes() -> None:  # in this process while the workers read the cases (3 s at 100,000 cases)
        causes.append(load.load_root_causes(options.root_causes, options.root))

    def read_root_causes() -> tuple[dict[str, object] | None, load.LineMap, str]:
        if not causes:
            root_causes()
        return causes[0][0], causes[0][1], rc_path

    found_dir = options.cases_dir.is_dir()
    files = load.case_files(options.cases_dir) if found_dir else []
    if not found_dir:  # every later stage still runs, on no cases, so the site and the summary come out whole
        diagnostics.append(load.diag(load.display_path(options.cases_dir, options.root), 1,
                                     "cases folder not found; create it or set the plugin's cases_dir"))
    # Each file is read, parsed and checked in one worker process (only its case comes back), once every file's
    # customer names are known; dedupe's text preparation runs there too
    parsed = caches.files if keep else BoundedCache()
    told = (lambda n: progress("read", n, len(files))) if progress else None
    read, checked = validate.check(files, load.reader(options.root, parsed, keep), read_root_causes, options.allow_emails,
                                   caches.checked if keep else None, options.workers, dedupe.prepare, told, root_causes)
    raws, loaded = load.settle(read, parsed, keep)
    if keep:  # the parses are kept (and stored): the cases share their sections with them
        validate.share_sections(checked.cases, dict(raws))
    if found_dir:
        diagnostics += loaded + load.unread_files(options.cases_dir, options.root)
    rc_problems = causes[0][2]
    public = [c for c in checked.cases if c.public]
    for case in checked.cases:
        text = None if case.public else checked.extra.get(case.path)  # dedupe stores the public cases' texts
        if text is not None:
            caches.prepared.put(dedupe.text_key(case), text)
    result = Result(as_of=options.as_of, cases=checked.cases, root_causes=checked.root_causes)
    result.diagnostics = diagnostics + rc_problems + checked.diagnostics
    step("validate", len(raws))
    # the team's edition (below) deduplicates again and takes the public cases' texts from ``caches``
    found = dedupe.dedupe(public, options.threshold, cache=caches if keep or not merge_only else None, workers=options.workers,
                          fresh=checked.extra)
    result.groups, result.near_misses = found.groups, found.near_misses
    result.diagnostics += found.diagnostics
    step("dedupe", len(public))
    if merge_only:
        result.diagnostics = sorted(set(result.diagnostics))
        return result
    by_id = {c.id: c for c in checked.cases}
    result.articles, linked = link.link(found.groups, by_id, checked.root_causes)
    result.diagnostics += linked
    result.top = rank.rank(result.articles, options.as_of, options.window_days, options.hourly_rate)
    result.since_fix = rank.since_fix(result.articles, options.as_of)
    if options.team_edition:
        groups, attached = team_groups(found.groups, by_id, [c for c in checked.cases if not c.public], options.threshold, caches)
        result.team_articles, team_linked = link.link(groups, by_id, checked.root_causes)
        result.diagnostics += team_linked + attached
        result.team_top = rank.rank(result.team_articles, options.as_of, options.window_days, options.hourly_rate,
                                    include_internal=True)
        result.team_since_fix = rank.since_fix(result.team_articles, options.as_of, include_internal=True)
    step("rank", len(result.articles))
    result.outcomes = outcomes(raws, checked, result)
    result.diagnostics = sorted(set(result.diagnostics))
    return result


def team_groups(public: Sequence[Group], cases: Mapping[str, Case], internal: Sequence[Case],
                threshold: float, caches: Caches | None = None) -> tuple[list[Group], list[Diagnostic]]:
    """The team's edition's groups: the public groups, each with the internal cases of its problem, and groups of
    internal cases only.

    The public edition is deduplicated from public cases alone, so nothing internal changes what the public
    sees. An internal case then joins the public group its ``duplicate_of`` names, or the one whose article
    (canonical case) it is deduplicated with among the articles and the other internal cases; the rest form
    groups of their own. Public groups are never split or joined, so every public article keeps its URL.
    """
    if not internal:
        return list(public), []
    group_of = {m.lower(): g.canonical for g in public for m in g.members}
    attached: dict[str, list[str]] = defaultdict(list)
    rest: list[Case] = []
    for case in internal:
        target = group_of.get((case.duplicate_of or "").lower())
        if target is not None:
            attached[target].append(case.id)
        else:
            rest.append(case)
    found = dedupe.dedupe([cases[g.canonical] for g in public] + rest, threshold, cache=caches)  # texts keyed by content: shared safely
    own: list[Group] = []
    for group in found.groups:
        # dedupe makes a public case canonical whenever a group has one: here, always an article's canonical
        inside = [m for m in group.members if not cases[m].public]
        if cases[group.canonical].public:
            attached[group.canonical] += inside
        elif inside:
            own.append(group)
    out: list[Group] = []
    for group in public:
        extra = attached.get(group.canonical)
        if extra:
            members = (*group.members, *sorted(extra, key=lambda m: (cases[m].resolved, m.lower(), m)))
            best = dedupe.best_case([cases[m] for m in members], caches).id
            group = replace(group, members=members, best=best)
        out.append(group)
    # dedupe's own warnings about internal cases (duplicate_of conflicts); public ones were reported already
    paths = {c.path for c in rest}
    problems = [d for d in found.diagnostics if d.path in paths]
    return out + own, problems


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
