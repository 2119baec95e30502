"""Validate stage: raw cases and root causes into typed, publishable data plus diagnostics.

Every rule of the contract's sections 1 and 2 lives here. Problems are collected, never
raised, so one run reports all of them. A case with an error is rejected (not
published); warnings are reported and fail only under ``--strict``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from . import placeholders, privacy
from .load import LineMap, diag
from .models import ROOT_CAUSE_KINDS, ROOT_CAUSE_STATUSES, Case, Diagnostic, RawCase, RootCause, Section

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CASE_FIELDS = (
    "id", "title", "product", "resolved", "opened", "versions", "component", "tags", "handle_minutes",
    "customer", "root_cause", "visibility", "duplicate_of", "not_duplicate_of",
)
REQUIRED_FIELDS = ("id", "title", "product", "resolved")
RC_FIELDS = ("title", "kind", "status", "tracker", "fixed_in", "fixed_on")
REQUIRED_SECTIONS = ("problem", "solution")


@dataclass
class Validated:
    cases: list[Case] = field(default_factory=list)
    root_causes: dict[str, RootCause] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # path -> reason (first error)


class _Fields:
    """Reads typed fields from one mapping, recording a diagnostic per problem."""

    def __init__(self, data: Mapping[str, object], lines: Mapping[str, int], path: str, line: int) -> None:
        self.data, self.lines, self.path, self.line = data, lines, path, line
        self.problems: list[Diagnostic] = []

    def at(self, key: str) -> int:
        return self.lines.get(key, self.line)

    def error(self, key: str, message: str, severity: str = "error") -> None:
        self.problems.append(diag(self.path, self.at(key), message, severity))

    def text(self, key: str, required: bool = False, max_len: int | None = None) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, f"'{key}' is required" + ("; it is empty" if key in self.data else ""))
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(key, f"'{key}' must be text, not {_kind(value)}")
            return None
        text = str(value).strip()
        if not text:
            if required:
                self.error(key, f"'{key}' is required; it is empty")
            return None
        if not self.plain(key, text):
            return None
        if max_len is not None and len(text) > max_len:
            self.error(key, f"'{key}' is {len(text)} characters; keep it to {max_len}")
            return None
        return text

    def plain(self, key: str, text: str) -> bool:
        """One line of text: no line breaks, control characters or HTML comments (they would leak or break pages)."""
        if _CONTROL.search(text):
            self.error(key, f"'{key}' must be one line of text without control characters")
            return False
        if "<!--" in text:
            self.error(key, f"'{key}' holds an HTML comment; comments are never published, so remove it")
            return False
        return True

    def date(self, key: str, required: bool = False) -> date | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, f"'{key}' is required: a date written YYYY-MM-DD")
            return None
        text = str(value).strip()
        if isinstance(value, bool) or not DATE_RE.match(text):
            self.error(key, f"'{key}' must be a date written YYYY-MM-DD, not {value!r}")
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.error(key, f"'{key}' is not a real date: {text}")
            return None

    def strings(self, key: str, quote_hint: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(key, f"'{key}' must be a list such as [a, b], not {_kind(value)}")
            return ()
        out: list[str] = []
        for item in value:
            if isinstance(item, str) and item.strip():
                if self.plain(key, item.strip()):
                    out.append(item.strip())
            elif quote_hint and isinstance(item, (int, float)) and not isinstance(item, bool):
                self.error(key, f"'{key}' item {item!r} is a number, so 4.10 would read as 4.1; quote it: \"{item}\"")
            else:
                self.error(key, f"'{key}' items must be text, not {_kind(item)}")
        return tuple(out)

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
            self.error(key, f"'{key}' must be a number of minutes >= 0, not {value!r}")
            return None
        return float(value)

    def choice(self, key: str, choices: Sequence[str], default: str | None = None) -> str | None:
        value = self.data.get(key)
        if value is None:
            return default
        if value not in choices:
            self.error(key, f"'{key}' must be one of {', '.join(choices)}; got {value!r}")
            return None
        return str(value)

    def unknown(self, known: Sequence[str], what: str) -> None:
        for key in self.data:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known fields: {', '.join(known)}"
                self.error(key, f"unknown {what} field '{key}'{hint}", "warning")


def _kind(value: object) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def validate_root_causes(data: Mapping[str, object] | None, lines: LineMap, path: str) -> tuple[dict[str, RootCause], list[Diagnostic]]:
    out: dict[str, RootCause] = {}
    problems: list[Diagnostic] = []
    for key, entry in (data or {}).items():
        line = lines.get((key,), 1)
        if not isinstance(entry, dict):
            problems.append(diag(path, line, f"root cause '{key}' must be a mapping with title, kind and status"))
            continue
        sub = {k[1]: v for k, v in lines.items() if len(k) == 2 and k[0] == key}
        f = _Fields({str(k): v for k, v in entry.items()}, sub, path, line)
        title = f.text("title", required=True)
        kind = f.choice("kind", ROOT_CAUSE_KINDS)
        status = f.choice("status", ROOT_CAUSE_STATUSES)
        if "kind" not in entry:
            f.error("kind", f"'kind' is required: one of {', '.join(ROOT_CAUSE_KINDS)}")
        if "status" not in entry:
            f.error("status", f"'status' is required: one of {', '.join(ROOT_CAUSE_STATUSES)}")
        tracker = f.text("tracker")
        if tracker and not re.match(r"^https?://\S+$", tracker):
            f.error("tracker", f"'tracker' must be an http(s) URL, not {tracker!r}")
            tracker = None
        fixed_in_raw = entry.get("fixed_in")
        if isinstance(fixed_in_raw, float):
            f.error("fixed_in", f"'fixed_in' {fixed_in_raw!r} is a number; quote it: \"{fixed_in_raw}\"")
        fixed_in = f.text("fixed_in")
        fixed_on = f.date("fixed_on")
        if status and status != "fixed":
            for k in ("fixed_in", "fixed_on"):
                if entry.get(k) is not None:
                    f.error(k, f"'{k}' only makes sense with status 'fixed' (status is '{status}'); remove it or set status: fixed")
        f.unknown(RC_FIELDS, "root-cause")
        problems += f.problems
        if not ID_RE.match(key):
            problems.append(diag(path, line, f"root-cause key {key!r} must be letters, digits, '.', '_' or '-'"))
        elif not any(p.severity == "error" for p in f.problems) and title and kind and status:
            out[key] = RootCause(key, title, kind, status, tracker, fixed_in, fixed_on, path, line)
    return out, problems


def _case(raw: RawCase, root_causes: Mapping[str, RootCause], rc_keys: set[str], allow_emails: Sequence[str]) -> tuple[Case | None, list[Diagnostic]]:
    f = _Fields(raw.meta, raw.meta_lines, raw.path, 1)
    cid = f.text("id", required=True)
    if cid is not None and not ID_RE.match(cid):
        f.error("id", f"id {cid!r} must start with a letter or digit and use only letters, digits, '.', '_', '-' (64 at most), so it is safe in a URL")
        cid = None
    title = f.text("title", required=True, max_len=200)
    product = f.text("product", required=True)
    resolved = f.date("resolved", required=True)
    opened = f.date("opened")
    if opened and resolved and opened > resolved:
        f.error("opened", f"'opened' ({opened}) is after 'resolved' ({resolved})")
    versions = f.strings("versions", quote_hint=True)
    component = f.text("component")
    tags = f.strings("tags")
    minutes = f.number("handle_minutes")
    customer = f.text("customer")
    root_cause = f.text("root_cause")
    if root_cause and root_cause not in root_causes:
        if root_cause in rc_keys:
            f.error("root_cause", f"root cause '{root_cause}' is invalid in root-causes.yml; fix it there")
        else:
            close = difflib.get_close_matches(root_cause, sorted(rc_keys), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else "; add it to root-causes.yml"
            f.error("root_cause", f"root cause '{root_cause}' is not in root-causes.yml{hint}")
    visibility = f.choice("visibility", ("public", "internal"), "public")
    duplicate_of = f.text("duplicate_of")
    not_dup = f.strings("not_duplicate_of")
    f.unknown(CASE_FIELDS, "front-matter")
    problems = f.problems
    problems += _sections(raw)
    problems += placeholders.find(raw.path, raw.meta, raw.meta_lines, raw.sections, REQUIRED_SECTIONS)
    public = tuple(s for s in raw.sections if not s.internal)
    if visibility == "public":
        shown = [(str(v), raw.meta_lines.get(k, 1)) for k, v in ((k, raw.meta.get(k)) for k in ("title", "product", "component")) if v]
        shown += [(item, raw.meta_lines.get(k, 1)) for k, items in (("tags", tags), ("versions", versions)) for item in items]
        problems += _scan_private(raw.path, shown, public, allow_emails)
    if any(p.severity == "error" for p in problems) or not (cid and title and product and resolved and visibility):
        return None, problems
    return Case(
        id=cid, title=title, product=product, resolved=resolved, path=raw.path, sections=public,
        opened=opened, versions=versions, component=component, tags=tags, handle_minutes=minutes or 0.0,
        customer=customer, root_cause=root_cause, visibility=visibility, duplicate_of=duplicate_of,
        not_duplicate_of=not_dup, line=raw.meta_lines.get("id", 1),
    ), problems


def _sections(raw: RawCase) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    seen: dict[str, Section] = {}
    for s in raw.sections:
        if s.key in seen and not s.internal:
            problems.append(diag(raw.path, s.line, f"section '## {s.title}' appears twice (first at line {seen[s.key].line}); merge them"))
        seen.setdefault(s.key, s)
    for key in REQUIRED_SECTIONS:
        if key not in seen:
            problems.append(diag(raw.path, raw.body_line, f"missing section '## {key.title()}'; every case needs ## Problem and ## Solution"))
        elif not seen[key].body.strip():
            problems.append(diag(raw.path, seen[key].line, f"section '## {seen[key].title}' is empty"))
    return problems


def _scan_private(path: str, fields: Sequence[tuple[str, int]], sections: Sequence[Section], allow: Sequence[str]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    texts = [*fields] + [(s.title + "\n" + s.body, s.line) for s in sections]
    for text, first in texts:
        for found in privacy.scan(text, allow):
            line = first + found.offset
            if found.secret:
                problems.append(diag(path, line, f"public text holds what looks like {found.what}; remove it or move it to '## Internal notes' (the case is not published)"))
            else:
                problems.append(diag(path, line, f"public text holds {found.what}; remove it, move it to '## Internal notes', or allow it in the plugin's allow_emails", "warning"))
    return problems


def _published_fields(case: Case) -> list[tuple[str, int]]:
    """Every front-matter text that reaches the site, with the line of its case."""
    fields = [case.title, case.product, case.component or "", *case.tags, *case.versions]
    return [(text, case.line) for text in fields if text]


def _customer_leaks(case: Case, names: privacy.CustomerNames) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    texts = _published_fields(case) + [(s.title + "\n" + s.body, s.line) for s in case.sections]
    for text, first in texts:
        for offset, line in enumerate(text.split("\n")):
            name = names.find(line)
            if name:
                problems.append(diag(case.path, first + offset, f"public text names the customer '{name}'; customer names are never published: remove it"))
                break
    return problems


def validate(
    raws: Sequence[tuple[str, RawCase | None]],
    rc_data: Mapping[str, object] | None,
    rc_lines: LineMap,
    rc_path: str,
    allow_emails: Sequence[str] = (),
) -> Validated:
    out = Validated()
    out.root_causes, out.diagnostics = validate_root_causes(rc_data, rc_lines, rc_path)
    rc_keys = set((rc_data or {}).keys())
    candidates: list[Case] = []
    for path, raw in raws:
        if raw is None:
            continue
        case, problems = _case(raw, out.root_causes, rc_keys, allow_emails)
        out.diagnostics += problems
        if case is None:
            out.rejected[path] = next(p.message for p in problems if p.severity == "error")
        else:
            candidates.append(case)
    customers = [str(raw.meta["customer"]) for _, raw in raws if raw is not None and isinstance(raw.meta.get("customer"), str)]
    out.cases = _cross_checks(candidates, out, customers)
    return out


def _reject(out: Validated, case: Case, line: int, message: str) -> None:
    out.diagnostics.append(diag(case.path, line, message))
    out.rejected.setdefault(case.path, message)


def _cross_checks(cases: list[Case], out: Validated, customers: Sequence[str]) -> list[Case]:
    """Rules across files: unique ids, references that resolve, no duplicate_of cycles, no customer names."""
    by_id: dict[str, Case] = {}
    for case in sorted(cases, key=lambda c: c.path):
        first = by_id.get(case.id.lower())
        if first is not None:
            _reject(out, case, case.line, f"id '{case.id}' is already used by {first.path}:{first.line} (ids are compared ignoring case); give this case a new id")
        else:
            by_id[case.id.lower()] = case
    kept = [c for c in cases if c.path not in out.rejected]
    names = privacy.CustomerNames(customers)  # every file's customer, even of a rejected or internal case
    for case in kept:
        if names and case.public:
            for problem in _customer_leaks(case, names):
                _reject(out, case, problem.line, problem.message)
        if case.duplicate_of is not None:
            target = by_id.get(case.duplicate_of.lower())
            if target is None:
                _reject(out, case, case.line, f"duplicate_of '{case.duplicate_of}' names no case; fix the id or remove the field")
            elif target.id.lower() == case.id.lower():
                _reject(out, case, case.line, "duplicate_of names the case itself; remove it")
        for other in case.not_duplicate_of:
            if other.lower() not in by_id:
                _reject(out, case, case.line, f"not_duplicate_of '{other}' names no case; fix the id or remove it")
    for cycle in _cycles(kept, by_id):
        chain = " -> ".join(c.id for c in cycle) + f" -> {cycle[0].id}"
        for case in cycle:
            _reject(out, case, case.line, f"duplicate_of forms a cycle ({chain}); point every case at one canonical case")
    return sorted((c for c in cases if c.path not in out.rejected), key=lambda c: c.id.lower())


def _cycles(cases: Sequence[Case], by_id: Mapping[str, Case]) -> list[list[Case]]:
    state: dict[str, int] = {}
    found: list[list[Case]] = []
    for start in sorted(cases, key=lambda c: c.id.lower()):
        path: list[Case] = []
        node: Case | None = start
        while node is not None and state.get(node.id.lower(), 0) == 0:
            state[node.id.lower()] = 1
            path.append(node)
            node = by_id.get(node.duplicate_of.lower()) if node.duplicate_of else None
        if node is not None and state.get(node.id.lower()) == 1:
            found.append(path[[c.id.lower() for c in path].index(node.id.lower()):])
        for c in path:
            state[c.id.lower()] = 2
    return found
