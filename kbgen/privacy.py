"""What must never be published: secrets, contact details and customer names in public text.

Pure functions over text; validation turns the findings into diagnostics with lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
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


def scan(text: str, allow_emails: Sequence[str] = ()) -> list[Finding]:
    """Secrets, email addresses and phone numbers in ``text``, one finding per line and kind."""
    found: list[Finding] = []
    for offset, line in enumerate(text.split("\n")):
        for what, pattern in SECRET_PATTERNS:
            if pattern.search(line):
                found.append(Finding(offset, what, True))
        emails = [m.group(0) for m in EMAIL.finditer(line) if not _allowed(m.group(0), allow_emails)]
        if emails:
            found.append(Finding(offset, f"an email address ({emails[0]})", False))
        if PHONE.search(EMAIL.sub("", line)):
            found.append(Finding(offset, "a phone number", False))
    return found


def customer_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any customer name as a whole word, longest first, case-insensitive."""
    usable = sorted({n.strip() for n in names if len(n.strip()) >= 3}, key=lambda n: (-len(n), n))
    if not usable:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in usable) + r")(?!\w)", re.IGNORECASE)
