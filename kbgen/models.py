"""Plain data passed between the pipeline stages.

Every stage takes and returns these frozen dataclasses; none of them knows about
MkDocs, so the pipeline can feed any Material-compatible builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from . import privacy

Severity = Literal["error", "warning"]


# --- the URL scheme: the only place that knows where an article or a redirect lives ---------------


def fold_id(case_id: str) -> str:
    """The form ids are compared and published in: "CASE-7" and "case-7" are one id and one URL."""
    return case_id.lower()


def article_url(case_id: str) -> str:
    """The site-relative URL of the article (or the redirect) for a case id: ``kb/<folded id>/``."""
    return f"kb/{fold_id(case_id)}/"


def source_path(url: str) -> str:
    """The source path of the page served at a directory URL: ``kb/x/`` -> ``kb/x/index.md``."""
    return f"{url}index.md"


def redirect_path(case_id: str) -> str:
    """The file a merged case's old URL is served from: ``kb/<folded id>/index.html``."""
    return f"{article_url(case_id)}index.html"

ROOT_CAUSE_KINDS = ("defect", "usability", "documentation", "configuration", "third-party", "by-design")
ROOT_CAUSE_STATUSES = ("open", "investigating", "fix-planned", "fixed", "wont-fix")


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in the content, always tied to a file (and a line where there is one)."""

    path: str
    line: int
    severity: Severity
    message: str

    def format(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Section:
    """A top-level section of a case body. ``key`` is the lower-cased heading.

    ``body`` is the section's Markdown source (dedupe and search read it as text); ``html`` is
    what the page shows, rendered from the same parse that found the section (``markdown.py``).
    An empty ``html`` (a section built by hand) is rendered from ``body`` when a page needs it.
    """

    title: str
    body: str
    line: int
    html: str = ""

    @property
    def key(self) -> str:
        """The heading as a reader sees it, punctuation ignored: '## Problem:' is 'problem', and so is
        '## Рroblem' written with a Cyrillic 'Р' or a zero-width space (``privacy.fold``)."""
        return privacy.heading_key(self.title)

    @property
    def internal(self) -> bool:
        """'Internal notes' and anything else reading 'internal...' (look-alike letters and invisible characters too) is never published."""
        return privacy.reads_internal(self.title)


@dataclass(frozen=True)
class RawCase:
    """A case file as read from disk: front matter with line numbers, body split into sections."""

    path: str
    meta: dict[str, object]
    meta_lines: dict[str, int]
    sections: tuple[Section, ...]
    body_line: int
    meta_text: dict[str, tuple[str, ...]] = field(default_factory=dict)  # values as written (YAML reads 0042 as 34)
    load_errors: tuple[str, ...] = ()  # errors the loader already reported (a nested 'Internal notes'): the case is rejected
    digest: bytes = b""  # hash of the file's bytes: validation results are cached by it (empty: a case built by hand, never cached)


@dataclass(frozen=True)
class Case:
    """A valid case. ``sections`` holds only what may be published (no internal notes, no comments)."""

    id: str
    title: str
    product: str
    resolved: date
    path: str
    sections: tuple[Section, ...]
    opened: date | None = None
    versions: tuple[str, ...] = ()
    component: str | None = None
    tags: tuple[str, ...] = ()
    handle_minutes: float = 0.0
    customer: str | None = None
    root_cause: str | None = None
    visibility: str = "public"
    duplicate_of: str | None = None
    not_duplicate_of: tuple[str, ...] = ()
    line: int = 1
    notes: tuple[Section, ...] = ()  # '## Internal notes' sections: shown in the team's edition only, never in public

    @property
    def slug(self) -> str:
        return fold_id(self.id)

    @property
    def public(self) -> bool:
        return self.visibility == "public"

    def find_section(self, key: str) -> Section | None:
        """The first section whose heading reads ``key`` (``Section.key``), if any."""
        return next((s for s in self.sections if s.key == key), None)

    def section(self, key: str) -> str:
        found = self.find_section(key)
        return found.body if found else ""

    @property
    def problem(self) -> str:
        return self.section("problem")

    @property
    def solution(self) -> str:
        return self.section("solution")


@dataclass(frozen=True)
class RootCause:
    id: str
    title: str
    kind: str
    status: str
    tracker: str | None = None
    fixed_in: str | None = None
    fixed_on: date | None = None
    path: str = ""
    line: int = 1


@dataclass(frozen=True)
class Group:
    """Cases the dedupe stage put together. ``canonical`` names the article's URL; ``best`` whose text it shows."""

    canonical: str
    best: str
    members: tuple[str, ...]
    score: float  # lowest pairwise score inside the group (100 for a single case)
    reasons: tuple[tuple[str, str, float, str], ...] = ()  # (case a, case b, score, why)


@dataclass(frozen=True)
class NearMiss:
    a: str
    b: str
    score: float
    why: str = ""  # e.g. "solution 96, problem 40" or "solution 100, different error codes (E1, E2)"


@dataclass(frozen=True)
class Article:
    """One published page: a group of cases (public ones only in the public edition), its root cause resolved."""

    canonical: Case
    best: Case
    cases: tuple[Case, ...]  # every public case in the group, canonical first, then by resolved date
    score: float = 100.0
    root_cause: RootCause | None = None

    @property
    def id(self) -> str:
        return self.canonical.id

    @property
    def slug(self) -> str:
        return self.canonical.slug

    @property
    def url(self) -> str:
        return article_url(self.id)

    @property
    def merged_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.cases if c.id != self.canonical.id)

    @property
    def first_resolved(self) -> date:
        return min(c.resolved for c in self.cases)

    @property
    def last_resolved(self) -> date:
        return max(c.resolved for c in self.cases)


@dataclass(frozen=True)
class TopIssue:
    rank: int
    article: Article
    cases: int
    share: float
    cumulative_share: float
    customers: int
    agent_hours: float
    cost: float
    previous_cases: int
    flags: tuple[str, ...] = ()
    p_value: float = 1.0  # exact binomial test of cases against previous_cases (rank.change_p_value)
    trend_significant: bool = False
    new: bool = False  # the article's first counted case is in the window
    median_days_to_resolve: float | None = None
    trend: str = ""  # "new", "up", "down" or "flat" (no clear change): rank decides it once, the page and the JSON show it


@dataclass(frozen=True)
class TopIssues:
    as_of: date
    window_days: int
    total_cases: int
    issues: tuple[TopIssue, ...]


Status = Literal["published", "merged", "internal", "rejected"]


@dataclass(frozen=True)
class Outcome:
    """What became of one case file: the build summary lists one per file."""

    path: str
    status: Status
    case_id: str | None = None
    article: str | None = None
    reason: str | None = None


@dataclass
class Result:
    """Everything the pipeline produced for one as-of date."""

    as_of: date
    cases: list[Case] = field(default_factory=list)
    root_causes: dict[str, RootCause] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    top: TopIssues = None  # type: ignore[assignment]  # None only while constructing: see __post_init__
    team_articles: list[Article] = field(default_factory=list)  # every case, internal ones too: the team's edition
    team_top: TopIssues = None  # type: ignore[assignment]
    outcomes: list[Outcome] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    since_fix: dict[str, int] = field(default_factory=dict)  # article id -> public cases resolved after its fix
    team_since_fix: dict[str, int] = field(default_factory=dict)  # the same, every case counted (the team's edition)

    def __post_init__(self) -> None:
        # Always a ranking, even of nothing: a site with no cases (or no cases folder) still renders its pages.
        if self.top is None:
            self.top = TopIssues(self.as_of, 1, 0, ())
        if self.team_top is None:
            self.team_top = self.top

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


@dataclass(frozen=True)
class Settings:
    """Everything ``render`` needs besides the pipeline's result: plain values, no MkDocs types.

    The audience of an edition (public or the team's) belongs here too: rendering two editions is
    ``render(result, settings)`` twice with two settings.
    """

    site_url: str = ""
    site_name: str = "Knowledge base"
    top_count: int = 5
    currency: str = "USD"
    feed_size: int = 50
    feedback_url: str = ""
    search: str = "pagefind"  # "pagefind": articles leave Material's index for Pagefind's; "material": lunr has all
    # The site's Markdown setup (MkDocs' markdown_extensions and mdx_configs), so case text renders as the site's own
    # pages do; MkDocs' three built-in extensions are the default.
    markdown_extensions: tuple[str, ...] = ("toc", "tables", "fenced_code")
    mdx_configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    audience: str = "public"  # "public" or "internal": the team's edition (every case, notes, customers, cost)
    public_top_issues: str = "counts"  # the public edition's top issues: "counts", "full" (cost too) or "off"
    window_days: int = 90

    @property
    def team(self) -> bool:
        return self.audience == "internal"

    @property
    def top_issues(self) -> str:
        """What this edition's top-issues page shows: the team's edition always shows everything."""
        return "full" if self.team else self.public_top_issues
