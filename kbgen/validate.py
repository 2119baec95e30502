"""Validate stage: raw cases and root causes into typed, publishable data plus diagnostics.

Every rule of the contract's sections 1 and 2 lives here. Problems are collected, never
raised, so one run reports all of them. A case with an error is rejected (not
published); warnings are reported and fail only under ``--strict``.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import html as htmllib
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import nh3

from . import load, markdown, placeholders, privacy
from .cache import BoundedCache
from .load import LineMap, diag
from .models import ROOT_CAUSE_KINDS, ROOT_CAUSE_STATUSES, Case, Diagnostic, RawCase, RootCause, Section
from .workers import fork_two

T = TypeVar("T")
A = TypeVar("A")

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ufffe\uffff]")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
"""Characters no page or feed can carry (XML forbids them): ANSI colour codes (ESC), form feeds, noncharacters."""
_CHAR_NAMES = {"\x1b": "an escape character (ANSI colour codes?)", "\x0c": "a form feed", "\ufffe": "the noncharacter U+FFFE",
               "\uffff": "the noncharacter U+FFFF"}
MAX_MINUTES = 525_600
MAX_LINE = 500
"""Characters in a product, component, section heading or root-cause title: one line a reader scans, which pages
render with Python-Markdown, quadratic in long runs of escaped characters (a heading of 120,000 '<' took a minute)."""
CASE_FIELDS = (
    "id", "title", "product", "resolved", "opened", "versions", "component", "tags", "handle_minutes",
    "customer", "root_cause", "visibility", "duplicate_of", "not_duplicate_of",
)
REQUIRED_FIELDS = ("id", "title", "product", "resolved")
RC_FIELDS = ("title", "kind", "status", "tracker", "fixed_in", "fixed_on")
REQUIRED_SECTIONS = ("problem", "solution")
PRIVACY_FIELDS = ("visibility", "customer")
"""A misspelling of one of these publishes what should stay private, so it is an error, not a warning."""
PRIVATE_WORDS = ("internal", "private", "hidden", "confidential", "public", "secret")
"""Field names that say 'keep this off the site' without saying it the way kbgen reads it."""


@dataclass
class Validated:
    cases: list[Case] = field(default_factory=list)
    root_causes: dict[str, RootCause] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # path -> reason (first error)
    extra: dict[str, object] = field(default_factory=dict)  # path -> ``then(case)`` of each case checked afresh (see validate)


class _Fields:
    """Reads typed fields from one mapping, recording a diagnostic per problem."""

    def __init__(self, data: Mapping[str, object], lines: Mapping[str, int], path: str, line: int,
                 texts: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.data, self.lines, self.path, self.line = data, lines, path, line
        self.texts = texts or {}  # values as written in the file (YAML reads 0042 as 34)
        self.problems: list[Diagnostic] = []

    def written(self, key: str, value: object, index: int | None = None) -> str:
        """A number as it is written in the file: 5.10 stays '5.10', 0042 stays '0042'."""
        texts = self.texts.get(key, ())
        items = self.data.get(key)
        if index is None and len(texts) == 1 and not isinstance(items, list):
            return texts[0]
        if index is not None and isinstance(items, list) and len(texts) == len(items):
            return texts[index]
        return str(value)

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
        text = (value if isinstance(value, str) else self.written(key, value)).strip()
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
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                if self.plain(key, item.strip()):
                    out.append(item.strip())
            elif isinstance(item, (int, float)) and not isinstance(item, bool):
                written = self.written(key, item, index)
                if quote_hint or written != str(item):
                    read = f"is read by YAML as the number {item!r}" if written != str(item) else "is a number, not text"
                    self.error(key, f"'{key}' item {written} {read}; quote it: \"{written}\"")
                else:
                    out.append(written)  # a tag such as 2024 means the same written or read
            elif isinstance(item, str) or item is None:
                self.error(key, f"'{key}' has an empty item; remove it")
            else:
                self.error(key, f"'{key}' items must be text, not {_kind(item)}")
        return tuple(out)

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_MINUTES or not math.isfinite(value):
            shown = repr(value) if len(repr(value)) <= 40 else f"a number of {len(str(value))} characters"
            self.error(key, f"'{key}' must be a number of minutes from 0 to {MAX_MINUTES} (a year), not {shown}")
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

    def unknown(self, known: Sequence[str], what: str, private: Sequence[str] = ()) -> None:
        """Unknown fields are warnings, except near-misses of a field in ``private``: those would publish what should stay private."""
        for key in self.data:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1) or difflib.get_close_matches(key.lower(), known, n=1)
                if close and close[0] in private:
                    self.error(key, f"unknown {what} field '{key}': did you mean '{close[0]}'? As written it is ignored, "
                               f"so the case would be published {'as public' if close[0] == 'visibility' else 'without its customer protected'}; "
                               "fix the spelling")
                elif private and key.lower().strip() in PRIVATE_WORDS:
                    self.error(key, f"'{key}' is not a kbgen field, so the case would be published; "
                               "to keep a case off the site write 'visibility: internal'")
                else:
                    hint = f"; did you mean '{close[0]}'?" if close else f"; known fields: {', '.join(known)}"
                    self.error(key, f"unknown {what} field '{key}'{hint}", "warning")


def _kind(value: object) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def validate_root_causes(data: Mapping[str, object] | None, lines: LineMap, path: str) -> tuple[dict[str, RootCause], list[Diagnostic]]:
    out: dict[str, RootCause] = {}
    problems: list[Diagnostic] = []
    field_lines: dict[str, dict[str, int]] = {}  # grouped once: filtering every line per root cause was quadratic
    for key_path, key_line in lines.items():
        if len(key_path) == 2:
            field_lines.setdefault(key_path[0], {})[key_path[1]] = key_line
    for key, entry in (data or {}).items():
        line = lines.get((key,), 1)
        if not isinstance(entry, dict):
            problems.append(diag(path, line, f"root cause '{key}' must be a mapping with title, kind and status"))
            continue
        sub = field_lines.get(key, {})
        f = _Fields({str(k): v for k, v in entry.items()}, sub, path, line)
        title = f.text("title", required=True, max_len=MAX_LINE)
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


def root_cause_leaks(
    data: Mapping[str, object] | None, lines: LineMap, path: str, allow: Sequence[str],
    customers: Sequence[str] | privacy.CustomerNames,
) -> tuple[set[str], list[Diagnostic]]:
    """Every field of root-causes.yml reaches the site (articles, known and top issues, the JSON API, search), so each is
    scanned as case text is. A secret or a customer's name withholds the root cause (returned); contacts are warnings."""
    withheld: set[str] = set()
    problems: list[Diagnostic] = []
    names = customers if isinstance(customers, privacy.CustomerNames) else privacy.CustomerNames(customers)
    for key, entry in (data or {}).items():
        fields: list[tuple[str, str, int]] = [("key", str(key), lines.get((key,), 1))]
        if isinstance(entry, dict):
            for k, v in entry.items():
                items = v if isinstance(v, list) else [v]
                fields += [(str(k), str(i), lines.get((key, str(k)), lines.get((key,), 1))) for i in items if isinstance(i, (str, int, float))]
        for name, text, line in fields:
            where = f"root cause '{key}'" + (f" field '{name}'" if name != "key" else "")
            found = [(f"holds what looks like {f.what}", f.secret, line + f.offset) for f in privacy.scan(text, allow)]
            if names:
                # the key is an id, matched whatever its case: 'globex-outage' names the customer Globex
                found += [(f"names the customer '{c}'", True, line + n)
                          for n, c in enumerate(_find(names, t, marks=True, any_case=name == "key") for t in text.split("\n")) if c]
            for what, secret, at in found:
                if secret:
                    withheld.add(str(key))
                    problems.append(diag(path, at, f"{where} {what}; remove it: the root cause is not published, "
                                                   "and cases naming it are rejected until it is fixed"))
                else:
                    problems.append(diag(path, at, f"{where} {what.replace('what looks like ', '')}; remove it or allow it in the plugin's "
                                                   "allow_emails", "warning"))
    return withheld, problems


def _case(raw: RawCase, root_causes: Mapping[str, RootCause], rc_keys: set[str], allow_emails: Sequence[str],
          names: privacy.CustomerNames | None = None) -> tuple[Case | None, list[Diagnostic]]:
    f = _Fields(raw.meta, raw.meta_lines, raw.path, 1, raw.meta_text)
    cid = _id(f)
    if cid is not None and not ID_RE.match(cid):
        f.error("id", f"id {cid!r} must start with a letter or digit and use only letters, digits, '.', '_', '-' (64 at most), so it is safe in a URL")
        cid = None
    title = f.text("title", required=True, max_len=200)
    product = f.text("product", required=True, max_len=MAX_LINE)
    resolved = f.date("resolved", required=True)
    opened = f.date("opened")
    if opened and resolved and opened > resolved:
        f.error("opened", f"'opened' ({opened}) is after 'resolved' ({resolved})")
    versions = f.strings("versions", quote_hint=True)
    component = f.text("component", max_len=MAX_LINE)
    tags = f.strings("tags")
    minutes = f.number("handle_minutes")
    customer = _customer(f, names)
    root_cause = f.text("root_cause")
    if root_cause and root_cause not in root_causes:
        if root_cause in rc_keys:
            f.error("root_cause", f"root cause '{root_cause}' has an error in root-causes.yml, so it is not published; fix it there "
                    "(this case is published once its root cause is)")
        else:
            close = difflib.get_close_matches(root_cause, sorted(rc_keys), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else "; add it to root-causes.yml"
            f.error("root_cause", f"root cause '{root_cause}' is not in root-causes.yml{hint}")
    visibility = f.choice("visibility", ("public", "internal"), "public")
    duplicate_of = f.text("duplicate_of")
    not_dup = f.strings("not_duplicate_of")
    f.unknown(CASE_FIELDS, "front-matter", PRIVACY_FIELDS)
    problems = f.problems
    problems += _sections(raw)
    problems += unprintable(raw)
    problems += placeholders.find(raw.path, raw.meta, raw.meta_lines, raw.sections, REQUIRED_SECTIONS)
    public = tuple(s for s in raw.sections if not s.internal)
    if visibility == "public":
        shown = [(str(v), raw.meta_lines.get(k, 1)) for k, v in ((k, raw.meta.get(k)) for k in ("title", "product", "component")) if v]
        shown += [(item, raw.meta_lines.get(k, 1)) for k, items in (("tags", tags), ("versions", versions)) for item in items]
        problems += _scan_private(raw.path, shown, public, allow_emails)
    if names and raw.meta.get("visibility") != "internal":  # reported with every other problem of the file (issue 15 point 7)
        problems += _customer_leaks(raw, public, names)
    notes, withheld = _team_notes(raw)
    problems += withheld
    if raw.load_errors or any(p.severity == "error" for p in problems) or not (cid and title and product and resolved and visibility):
        return None, problems
    return Case(
        id=cid, title=title, product=product, resolved=resolved, path=raw.path, sections=public,
        opened=opened, versions=versions, component=component, tags=tags, handle_minutes=minutes or 0.0,
        customer=customer, root_cause=root_cause, visibility=visibility, duplicate_of=duplicate_of,
        not_duplicate_of=not_dup, line=raw.meta_lines.get("id", 1), notes=notes,
    ), problems


def _team_notes(raw: RawCase) -> tuple[tuple[Section, ...], list[Diagnostic]]:
    """Internal sections for the team's edition; one holding a secret is left out of it too (with a warning)."""
    kept: list[Section] = []
    problems: list[Diagnostic] = []
    for s in (s for s in raw.sections if s.internal):
        secrets = [f for f in privacy.scan(s.body) if f.secret]
        if secrets:
            problems.append(diag(raw.path, s.line + 1 + secrets[0].offset, f"'## {s.title}' holds what looks like {secrets[0].what}; "
                                 "the team's edition leaves this section out: remove the secret (rotate it if it was real)", "warning"))
        else:
            kept.append(s)
    return tuple(kept), problems


def unprintable(raw: RawCase) -> list[Diagnostic]:
    """Control characters in a published section: the feed writer and browsers reject them, so name the line."""
    problems: list[Diagnostic] = []
    for s in raw.sections:
        if s.internal or not _UNPRINTABLE.search(s.title + s.body):
            continue
        for offset, line in enumerate((s.title + "\n" + s.body).split("\n")):
            m = _UNPRINTABLE.search(line)
            if m:
                what = _CHAR_NAMES.get(m.group(0), f"the control character U+{ord(m.group(0)):04X}")
                problems.append(diag(raw.path, s.line + offset, f"line holds {what}, which pages and the feed cannot carry; "
                                                               "remove it (paste logs as plain text)"))
    return problems


def _sections(raw: RawCase) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    seen: dict[str, Section] = {}
    for s in raw.sections:
        if len(s.title) > MAX_LINE and not s.internal:
            problems.append(diag(raw.path, s.line, f"section heading is {len(s.title)} characters; keep it to {MAX_LINE}"))
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


def _id(f: _Fields) -> str | None:
    """The id as written: YAML reads ``id: 0042`` as 34 and ``1_000`` as 1000, which would change the article's URL."""
    value = f.data.get("id")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and f.written("id", value) != str(value):
        written = f.written("id", value)
        f.error("id", f"id {written} is read by YAML as the number {value!r}; quote it: id: \"{written}\"")
        return None
    return f.text("id", required=True)


def customer_names(raw: RawCase) -> list[str]:
    """Every customer name a file gives, as written: one name, a number (``customer: 3141``), or a list (an error, still protected)."""
    value = raw.meta.get("customer")
    items = value if isinstance(value, list) else [value]
    texts = raw.meta_text.get("customer", ())
    if len(texts) == len(items):
        return [t for t, v in zip(texts, items, strict=True) if isinstance(v, (str, int, float)) and t.strip()]
    return [str(v) for v in items if isinstance(v, (str, int, float)) and str(v).strip()]


def _customer(f: _Fields, names: privacy.CustomerNames | None) -> str | None:
    value = f.data.get("customer")
    if isinstance(value, list):
        f.error("customer", "'customer' must be one name, not a list; give the case one customer (every name listed is still kept off the site)")
        return None
    customer = f.text("customer")
    if customer and names is not None and customer in names.too_short:
        f.error("customer", f"customer '{customer}' is under {privacy.MIN_NAME} characters, too short to look for safely in public "
                "text; make sure the case does not name it", "warning")
    return customer


def _shown_text(raw: RawCase) -> list[tuple[str, int, bool]]:
    """Every front-matter text that reaches the site: (text, line, whether it is a label, matched whatever its case).

    Ids and references, tags and versions are labels, written in lower case as a rule: a customer's one-word name
    there ('globex' as a tag, '4.2-globex-hotfix') names the customer, where in a title it may be an ordinary word."""
    out: list[tuple[str, int, bool]] = []
    for key in ("id", "title", "product", "component", "duplicate_of", "tags", "versions"):
        value = raw.meta.get(key)
        line = raw.meta_lines.get(key, 1)
        for text in raw.meta_text.get(key, ()) or ((str(value),) if value is not None else ()):
            out.append((text, line, key in ("id", "duplicate_of", "tags", "versions")))
    return out


def _html_text(html_text: str) -> str:
    """What a reader sees of a section: tags and entities gone, so 'Glo<b>bex</b>' and 'Glo&#98;ex' read 'Globex'."""
    return htmllib.unescape(_text_only().clean(html_text))


@functools.cache
def _text_only() -> nh3.Cleaner:
    """``nh3.clean(html, tags=set())``, its settings made once: 6 of the 13 microseconds a section took were making them."""
    return nh3.Cleaner(tags=set())


_INLINE_MARKS = re.compile(r"[*_~^=+`]")
"""What inline Markdown (and pymdownx's caret, mark, tilde, keys) wraps words in: gone from the page a field is shown on."""


def _read(text: str, marks: bool = False) -> str:
    """``text`` as the site may show it, for the customer-name check: entities and percent-escapes decoded (a
    tooltip or a link's address holds 'Glob&#101;x' or 'Globex%20Corp', the page shows 'Globex Corp'), and with
    ``marks`` (a front-matter field, which pages render as inline Markdown) without the marks of emphasis."""
    if "&" in text or "%" in text:
        text = urllib.parse.unquote(htmllib.unescape(text))
    return _INLINE_MARKS.sub("", text) if marks else text


def _find(names: privacy.CustomerNames, text: str, marks: bool = False, any_case: bool = False) -> str | None:
    """A customer name in ``text`` as written or as the site may show it (:func:`_read`)."""
    name = names.find(text, any_case=any_case)
    if name is None:
        read = _read(text, marks)
        name = names.find(read, any_case=any_case) if read != text else None
    return name


def _line_naming(lines: Sequence[str], names: privacy.CustomerNames) -> int:
    """The offset of the first line that names a customer, alone or with the next line (a name broken over two)."""
    for width in (1, 2):
        for n in range(len(lines)):
            if _find(names, "\n".join(lines[n : n + width])):
                return n
    return 0


def _customer_leaks(raw: RawCase, sections: Sequence[Section], names: privacy.CustomerNames) -> list[Diagnostic]:
    """Customer names in the id, the published fields and the sections: their source line by line (for the
    line number), then the text a reader sees of the rendered section, whitespace collapsed (a name split by
    markup, an entity or a line break)."""
    problems: list[Diagnostic] = []

    def found(line: int, name: str) -> None:
        problems.append(diag(raw.path, line, f"public text names the customer '{name}'; customer names are never published: remove it"))

    for text, line, is_id in _shown_text(raw):
        name = _find(names, text, marks=True, any_case=is_id)
        if name:
            found(line, name)
    for s in sections:
        whole = s.title + "\n" + s.body
        if len(whole) + len(s.html) <= privacy.SHORT_TEXT:  # a section copied from case to case is looked at once
            naming = names.remembered(("section", s.title, s.body, s.html), functools.partial(_section_naming, whole, s, names))
        else:
            naming = _section_naming(whole, s, names)
        if naming is not None:
            found(s.line + naming[1], naming[0])
    return problems


def _section_naming(whole: str, s: Section, names: privacy.CustomerNames) -> tuple[str, int] | None:
    """The customer a section names and the offset of the line naming it. One pass over the whole section finds a
    name on a line or broken over two ('Globex\nCorp' in a tooltip); line by line only to name the line; then the
    text a reader sees of the rendered section, whitespace collapsed (a name split by markup or an entity)."""
    name = _find(names, whole)
    if name:
        return name, _line_naming(whole.split("\n"), names)
    name = names.find(" ".join(_html_text(s.html or markdown.render(s.body)).split()))
    return (name, 0) if name else None


Verdict = tuple[Case | None, list[Diagnostic]]


def _verdict(raw: RawCase, c: _Rules, cache: BoundedCache[tuple[str, bytes, bytes], Verdict] | None,
             then: Callable[[Case], object] | None) -> tuple[Verdict | None, Mapping[str, int], str | None, object]:
    """One file's check where its parse is (a worker process): its verdict (None when ``cache`` has it), the
    lines of its CROSS_FIELDS (the rules across files name them), the first error its parse found, and ``then(case)``."""
    reason = raw.load_errors[0] if raw.load_errors else None
    lines = {key: raw.meta_lines[key] for key in CROSS_FIELDS if key in raw.meta_lines}
    if cache is not None and raw.digest and (raw.path, raw.digest, c.context) in cache:
        return None, lines, reason, None
    case, problems = _case(raw, c.root_causes, c.rc_keys, c.allow_emails, c.names)
    extra = then(case) if case is not None and then is not None else None
    return (case, problems), lines, reason, extra


def rule_inputs(root_causes: Mapping[str, RootCause], rc_keys: set[str], allow_emails: Sequence[str],
                customers: Sequence[str]) -> bytes:
    """Everything besides a file's own bytes that one file's verdict depends on, as one digest: the published
    and the known root-cause keys, the allowed addresses and every customer name. A change to any of them
    (a new customer anywhere) makes every file's cached verdict stale, as it should."""
    h = hashlib.blake2b(digest_size=16)
    for part in (sorted(root_causes), sorted(rc_keys), list(allow_emails), sorted(set(customers))):
        h.update(b"\x00".join(s.encode("utf-8", "surrogatepass") for s in part) + b"\x01")
    return h.digest()


@dataclass(frozen=True)
class _Rules:
    """What every file's verdict depends on besides its own bytes, as the second pass of :func:`check` is sent it
    (pickled once per worker process: never the caches, which the workers have)."""

    root_causes: Mapping[str, RootCause]
    rc_keys: set[str]
    allow_emails: Sequence[str]
    names: privacy.CustomerNames
    context: bytes  # :func:`rule_inputs` (verdicts are cached by it), or b"" without a cache


Named = tuple[str, bytes, list[str]]
"""A parsed file as the first pass of :func:`check` tells it: its path, its content digest, its customer names."""


def check(
    items: Sequence[T],
    read: Callable[[T], tuple[A, RawCase | None]],
    root_causes: Callable[[], tuple[Mapping[str, object] | None, LineMap, str]],
    allow_emails: Sequence[str] = (),
    cache: BoundedCache[tuple[str, bytes, bytes], Verdict] | None = None,
    workers: int = 1,
    then: Callable[[Case], object] | None = None,
    done: Callable[[int], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[list[A], Validated]:
    """``read`` every item into a parse (``(what the caller keeps, raw case or None)``), then every rule on every
    parse, in one pass of worker processes (:func:`kbgen.workers.fork_two`): each parse is checked where it was
    made, once every file's customer names are known, and only the cases come back. ``root_causes()`` gives the
    root causes (data, lines, path) once every file is read (``meanwhile`` may be reading them). See :func:`validate`."""

    def first(item: T) -> tuple[tuple[A, Named | None], RawCase | None]:
        kept, raw = read(item)
        return (kept, None if raw is None else (raw.path, raw.digest, customer_names(raw))), raw

    out = Validated()

    def between(firsts: list[tuple[A, Named | None]]) -> _Rules:
        rc_data, rc_lines, rc_path = root_causes()
        out.root_causes, out.diagnostics = validate_root_causes(rc_data, rc_lines, rc_path)
        customers = [name for _, named in firsts if named is not None for name in named[2]]
        # Every file's customer, even of a rejected or internal case, is kept out of every public case.
        names = privacy.CustomerNames(customers)
        withheld, leaks = root_cause_leaks(rc_data, rc_lines, rc_path, allow_emails, names)
        out.diagnostics += leaks
        for key in withheld:
            out.root_causes.pop(key, None)
        rc_keys = set((rc_data or {}).keys())
        context = rule_inputs(out.root_causes, rc_keys, allow_emails, customers) if cache is not None else b""
        return _Rules(out.root_causes, rc_keys, allow_emails, names, context)

    def second(raw: RawCase | None, rules: _Rules) -> tuple[Verdict | None, Mapping[str, int], str | None, object] | None:
        # the cache and ``then`` are the worker's own copies (forked with it): only the rules are sent to it
        return None if raw is None else _verdict(raw, rules, cache, then)

    with load.no_cycle_collection():
        firsts, rules, seconds = fork_two(first, items, between, second, workers, done, meanwhile)
    live: set[tuple[str, bytes, bytes]] = set()
    candidates: list[Case] = []
    field_lines: dict[str, Mapping[str, int]] = {}
    for (_, named), checked in zip(firsts, seconds, strict=True):
        if named is None or checked is None:
            continue
        path, content, _ = named
        verdict, field_lines[path], reason, extra = checked
        vkey = (path, content, rules.context) if cache is not None and content else None
        hit = cache.peek(vkey) if cache is not None and vkey is not None else None
        if verdict is None:
            assert hit is not None, "a verdict a worker found in the cache is in this process's cache too"
            verdict = hit
        elif cache is not None and vkey is not None:
            cache.put(vkey, verdict)
        if vkey is not None:
            live.add(vkey)
        case, problems = verdict
        if case is not None and then is not None and extra is not None:
            out.extra[path] = extra
        out.diagnostics += problems  # a copy: never the cached list
        if case is None:
            # a problem the parse found (a fence never closed, nesting too deep) explains the others, so it comes first
            out.rejected[path] = reason or next(p.message for p in problems if p.severity == "error")
        else:
            candidates.append(case)
    if cache is not None:
        cache.keep_only(live)  # verdicts of files that changed or went away, or of other rule inputs
    out.cases = _cross_checks(candidates, out, field_lines)
    return [kept for kept, _ in firsts], out


def share_sections(cases: Sequence[Case], raws: Mapping[str, RawCase | None]) -> None:
    """Make each case hold its parse's own section objects, not equal copies of them: a case checked in a worker
    process comes back with its sections pickled, and a caller that keeps the parses too (`kbgen serve`, a command
    with a store) would otherwise hold, and store, every section twice. Done to cases just made, before they are
    shown anywhere: the objects are equal, only fewer. (A case the rules across files reject, a duplicate id, is
    not among ``cases``: its verdict keeps its own copies.)"""
    for case in cases:
        raw = raws.get(case.path)
        if raw is None:
            continue
        own = {s: s for s in raw.sections}
        object.__setattr__(case, "sections", tuple(own.get(s, s) for s in case.sections))
        object.__setattr__(case, "notes", tuple(own.get(s, s) for s in case.notes))


def validate(
    raws: Sequence[tuple[str, RawCase | None]],
    rc_data: Mapping[str, object] | None,
    rc_lines: LineMap,
    rc_path: str,
    allow_emails: Sequence[str] = (),
    cache: BoundedCache[tuple[str, bytes, bytes], Verdict] | None = None,
    workers: int = 1,
    then: Callable[[Case], object] | None = None,
) -> Validated:
    """Every rule on every file. ``cache`` keeps each file's verdict (the rules of one file are a pure function
    of its bytes and :func:`rule_inputs`), so `kbgen serve` re-checks only the files an edit changed; the
    rules across files (unique ids, references, cycles) always run on all of them. ``workers`` > 1 checks many
    files in that many processes (:mod:`kbgen.workers`); the result is the same either way. ``then`` (pure) is
    run on each valid case checked afresh, where it was checked (in the worker process: the next stage's
    per-case work shared out too), its result kept in ``extra`` by path."""
    files = [raw for _, raw in raws if raw is not None]
    return check(files, lambda raw: (None, raw), lambda: (rc_data, rc_lines, rc_path), allow_emails, cache, workers, then)[1]


def _reject(out: Validated, case: Case, line: int, message: str) -> None:
    out.diagnostics.append(diag(case.path, line, message))
    out.rejected.setdefault(case.path, message)


CROSS_FIELDS = ("duplicate_of", "not_duplicate_of")
"""The fields whose lines the rules across files name (the only lines a worker sends back with a case)."""


def _cross_checks(cases: list[Case], out: Validated, field_lines: Mapping[str, Mapping[str, int]]) -> list[Case]:
    """Rules across files: unique ids, references that resolve, no duplicate_of cycles.

    Each problem names the line of the field it is about, so a CI annotation lands there."""

    def at(case: Case, key: str) -> int:
        assert key in CROSS_FIELDS, f"add {key!r} to CROSS_FIELDS, so the checks send its line back"
        return field_lines.get(case.path, {}).get(key, case.line)

    by_id: dict[str, Case] = {}
    for case in sorted(cases, key=lambda c: c.path):
        first = by_id.get(case.id.lower())
        if first is not None:
            _reject(out, case, case.line, f"id '{case.id}' is already used by {first.path}:{first.line} (ids are compared ignoring case); give this case a new id")
        else:
            by_id[case.id.lower()] = case
    kept = [c for c in cases if c.path not in out.rejected]
    for case in kept:
        if case.duplicate_of is not None:
            target = by_id.get(case.duplicate_of.lower())
            if target is None:
                _reject(out, case, at(case, "duplicate_of"), f"duplicate_of '{case.duplicate_of}' names no case; fix the id or remove the field")
            elif target.id.lower() == case.id.lower():
                _reject(out, case, at(case, "duplicate_of"), "duplicate_of names the case itself; remove it")
        for other in case.not_duplicate_of:
            if other.lower() not in by_id:
                _reject(out, case, at(case, "not_duplicate_of"), f"not_duplicate_of '{other}' names no case; fix the id or remove it")
    for cycle in _cycles(kept, by_id):
        chain = " -> ".join(c.id for c in cycle) + f" -> {cycle[0].id}"
        for case in cycle:
            _reject(out, case, at(case, "duplicate_of"), f"duplicate_of forms a cycle ({chain}); point every case at one canonical case")
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
