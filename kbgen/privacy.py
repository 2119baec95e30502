"""What must never be published: secrets, contact details and customer names in public text.

Pure functions over text; validation turns the findings into diagnostics with lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (  # (what, pattern); see _CLUES for the cheap pre-check
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key block", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("a bearer token", re.compile(r"\bBearer\s+[A-Za-z0-9\-._~+/]{20,}=*")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe key", re.compile(r"\b[srp]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z\-_]{35}")),
    ("a JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a password inside a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
    (
        "an API key or password",
        re.compile(
            r"(?i)\b(?:api[_-]?key|api[_-]?secret|secret[_-]?key|access[_-]?token|auth[_-]?token|password|passwd|pwd)"
            r"[\"']?\s*[:=]\s*[\"']?(?=[A-Za-z0-9/+_\-]*\d)(?=[A-Za-z0-9/+_\-]*[A-Za-z])[A-Za-z0-9/+_\-]{12,}"
        ),
    ),
)

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
PHONE = re.compile(
    r"(?<![\w.+-])(?:\+\d{1,3}[ .-]?(?:\(?\d{1,4}\)?[ .-]?){2,4}\d{2,4}|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})(?![\w.-])"
)


@dataclass(frozen=True)
class Finding:
    offset: int  # 0-based line offset inside the scanned text
    what: str
    secret: bool  # secrets stop publication; contact details are warnings


def _allowed(address: str, allow: Sequence[str]) -> bool:
    address = address.lower()
    for entry in allow:
        entry = entry.lower().strip()
        if address == entry or (entry.startswith("@") and address.endswith(entry)) or (
            entry.startswith("*@") and address.endswith(entry[1:])
        ):
            return True
    return False


_CLUES: dict[str, tuple[str, ...]] = {
    "an AWS access key": ("AKIA", "ASIA"),
    "a private key block": ("PRIVATE KEY",),
    "a bearer token": ("Bearer",),
    "a GitHub token": ("gh", "github_pat_"),
    "a Slack token": ("xox",),
    "a Stripe key": ("k_live_", "k_test_"),
    "a Google API key": ("AIza",),
    "a JSON web token": ("eyJ",),
    "a password inside a URL": ("://",),
}
"""Substrings a match must contain: most texts hold none, so most patterns never run."""
_KEYWORDS = re.compile(r"(?i)api|secret|token|passw|pwd")


def _may_hold(what: str, text: str) -> bool:
    clues = _CLUES.get(what)
    if clues is None:
        return _KEYWORDS.search(text) is not None
    return any(c in text for c in clues)


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos)


def scan(text: str, allow_emails: Sequence[str] = ()) -> list[Finding]:
    """Secrets, email addresses and phone numbers in ``text``, one finding per line and kind, in line order."""
    found: dict[tuple[int, str], Finding] = {}
    for what, pattern in SECRET_PATTERNS:
        if not _may_hold(what, text):
            continue
        for m in pattern.finditer(text):
            offset = _line_of(text, m.start())
            found.setdefault((offset, what), Finding(offset, what, True))
    without_emails = text
    if "@" in text:
        for m in EMAIL.finditer(text):
            without_emails = without_emails[: m.start()] + " " * (m.end() - m.start()) + without_emails[m.end() :]
            if not _allowed(m.group(0), allow_emails):
                offset = _line_of(text, m.start())
                found.setdefault((offset, "email"), Finding(offset, f"an email address ({m.group(0)})", False))
    for m in PHONE.finditer(without_emails):
        offset = _line_of(text, m.start())
        found.setdefault((offset, "phone"), Finding(offset, "a phone number", False))
    return sorted(found.values(), key=lambda f: (f.offset, not f.secret, f.what))


_WORD = re.compile(r"\w+")


class CustomerNames:
    """Finds any customer name in text in time linear in the text, however many customers there are.

    Names of two or more words match ignoring case; a one-word name matches only as written
    (so the customer "Shell" does not flag "the shell command").
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.multi: set[str] = set()
        self.first: set[str] = set()  # first words of multi-word names: most words are not, so no phrase is built
        self.single: set[str] = set()
        self.longest = 1
        for name in names:
            words = _WORD.findall(name)
            if not words or len(" ".join(words)) < 3:
                continue
            if len(words) == 1:
                self.single.add(words[0])
            else:
                self.multi.add(" ".join(w.lower() for w in words))
                self.first.add(words[0].lower())
                self.longest = max(self.longest, len(words))

    def __bool__(self) -> bool:
        return bool(self.multi or self.single)

    def find(self, line: str) -> str | None:
        words = _WORD.findall(line)
        for i, word in enumerate(words):
            if word in self.single:
                return word
            if word.lower() not in self.first:
                continue
            for n in range(2, self.longest + 1):
                if i + n <= len(words):
                    phrase = " ".join(words[i : i + n])
                    if phrase.lower() in self.multi:
                        return phrase
        return None
