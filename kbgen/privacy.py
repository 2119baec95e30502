"""What must never be published: secrets, contact details and customer names in public text.

Pure functions over text; validation turns the findings into diagnostics with lines.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

GITLAB_CLUES = ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "glcbt-", "glimt-", "glptt-", "glagent-", "gloas-", "GR1348941")
SECRET_PLUGINS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # (detect-secrets module, plugin class, what, clues): the maintained rule set (Yelp's detect-secrets) supplies the
    # patterns; its keyword, entropy, IP and loosely anchored plugins (Artifactory, Twilio, Discord, Telegram, IBM)
    # flag ordinary support text (hashes, build numbers, error codes), so they are left out.
    ("aws", "AWSKeyDetector", "an AWS key", ("A3T", "ABIA", "ACCA", "AKIA", "ASIA", "aws")),
    ("azure_storage_key", "AzureStorageKeyDetector", "an Azure storage account key", ("AccountKey=",)),
    ("basic_auth", "BasicAuthDetector", "a password inside a URL", ("://",)),
    ("github_token", "GitHubTokenDetector", "a GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("gitlab_token", "GitLabTokenDetector", "a GitLab token", GITLAB_CLUES),
    ("mailchimp", "MailchimpDetector", "a Mailchimp key", ("-us",)),
    ("npm", "NpmDetector", "an npm token", ("_authToken",)),
    ("openai", "OpenAIDetector", "an OpenAI key", ("T3BlbkFJ",)),
    ("private_key", "PrivateKeyDetector", "a private key block", ("PRIVATE KEY", "PuTTY-User-Key")),
    ("pypi_token", "PypiTokenDetector", "a PyPI token", ("pypi-",)),
    ("sendgrid", "SendGridDetector", "a SendGrid key", ("SG.",)),
    ("slack", "SlackDetector", "a Slack token", ("xox", "hooks.slack.com")),
    ("square_oauth", "SquareOAuthDetector", "a Square OAuth secret", ("sq0csp-",)),
    ("stripe", "StripeDetector", "a Stripe key", ("k_live_",)),
)

_VALUE = r"[\"']?\s*[:=]\s*[\"']?"
OWN_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (what, pattern, clues): formats detect-secrets lacks, or matches only in a form support text rarely has.
    ("an AWS secret access key", r"(?i)\baws_?secret_?(?:access_?)?key" + _VALUE + r"[A-Za-z0-9/+=]{16,}", ("aws",)),
    ("an AWS access key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", ("AKIA", "ASIA")),
    ("a private key block", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", ("PRIVATE KEY",)),
    ("an HTTP Basic authorization header", r"(?i)\bauthori[sz]ation" + _VALUE + r"basic\s+[A-Za-z0-9+/]{8,}={0,2}", ("basic",)),
    ("a bearer token", r"\bBearer\s+[A-Za-z0-9\-._~+/]{20,}=*", ("Bearer",)),
    ("a GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    ("a GitLab token", r"\bgl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[A-Za-z0-9_\-]{20,}", GITLAB_CLUES),
    ("an OpenAI key", r"\bsk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{20,}", ("sk-",)),
    ("a Slack token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}", ("xox",)),
    ("a Slack webhook URL", r"hooks\.slack\.com/(?:services|workflows|triggers)/\S{10,}", ("hooks.slack.com",)),
    ("a Stripe key", r"\b[srp]k_(?:live|test)_[A-Za-z0-9]{16,}", ("k_live_", "k_test_")),
    ("a Google API key", r"\bAIza[0-9A-Za-z\-_]{35}", ("AIza",)),
    ("a JSON web token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyJ",)),
    ("a password inside a URL", r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", ("://",)),
    ("an Azure storage account key", r"(?i)\baccount_?key\s*[:=]\s*[A-Za-z0-9+/]{40,}={0,2}", ("ccountkey", "ccount_key")),
)

KEYWORD_RULE = re.compile(
    r"(?i)(?<![a-z])(?:api[_-]?key|api[_-]?secret|secret[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret|password|passwd|pwd"
    r"|passphrase)(?P<q1>[\"']?)\s*(?P<sep>[:=])\s*(?P<q2>[\"']?)(?P<value>[^\s\"'`<>]{6,200})"
)
"""``password = value`` and the like. A value is a secret when it is assigned (``=``), quoted, or does not read as
a plain word (it has a digit, a symbol or a capital inside): "password: expired" is prose, "password: Summer!" is not."""
_KEYWORD_CLUE = re.compile(r"(?i)key|secret|token|passw|pwd|passphrase")
_PLACEHOLDER = re.compile(r"^(?:[A-Z0-9_]+|<.*>|\{.*\}|\$\{?\w+\}?|%\w+%|[xX*.]+|(?i:redacted|changeme|example\w*|your\w*|none|null|"
                          r"true|false|required|optional|unknown|empty|n/a))$")
_PLAIN_WORD = re.compile(r"^[A-Za-z][a-z]*[.,;:?)]*$")


def _keyword_secret(m: re.Match[str]) -> bool:
    value = m.group("value").rstrip(".,;:)")
    if not value or _PLACEHOLDER.match(value):
        return False  # YOUR_API_KEY, <token>, ${SECRET}, ****: a placeholder, not a secret
    if m.group("sep") == "=" or m.group("q1") or m.group("q2"):
        return True
    return not _PLAIN_WORD.match(m.group("value"))


@dataclass(frozen=True)
class Rule:
    what: str
    pattern: re.Pattern[str]
    clues: tuple[str, ...]  # a match contains one of these (compared in lower case): most texts hold none


@functools.cache
def secret_rules() -> tuple[Rule, ...]:
    """kbgen's own patterns (the more specific names come first), then detect-secrets' plugins; built on first use (importing detect-secrets costs ~0.1 s)."""
    rules = [Rule(what, re.compile(pattern), tuple(c.lower() for c in clues)) for what, pattern, clues in OWN_RULES]
    for module, name, what, clues in SECRET_PLUGINS:
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        rules += [Rule(what, pattern, tuple(c.lower() for c in clues)) for pattern in plugin.denylist]
    return tuple(rules)


EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b")
"""Bounded parts (RFC 5321's 64-character local part, 63-character labels) and labels that cannot hold a dot: a long
email-like string costs linear time (the unbounded pattern took 5 s on 64 KB of ``a@b.b.b.``)."""
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


@functools.cache
def _clue_index() -> tuple[_ByClue, tuple[str, ...]]:
    """Every clue once (44 substring tests a text cost less than one regex with 44 alternatives at each position)."""
    return _ByClue(), tuple(sorted({c for r in secret_rules() for c in r.clues}))


class _ByClue(dict[frozenset[str], list[Rule]]):
    """The rules to run for a set of clues found (almost always empty or one), built as texts need them."""

    def __missing__(self, present: frozenset[str]) -> list[Rule]:
        rules = [r for r in secret_rules() if present.intersection(r.clues)]
        if len(present) <= 2:  # common sets are kept; rarer ones are cheap enough to rebuild
            self[present] = rules
        return rules


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos)


def scan(text: str, allow_emails: Sequence[str] = ()) -> list[Finding]:
    """Secrets, email addresses and phone numbers in ``text``, one finding per line and kind, in line order."""
    found: dict[tuple[int, str], Finding] = {}
    rules, clues = _clue_index()
    lower = text.lower()
    present = frozenset(c for c in clues if c in lower)
    for rule in rules[present] if len(present) <= 2 else rules.__missing__(present):
        for m in rule.pattern.finditer(text):
            offset = _line_of(text, m.start())
            found.setdefault((offset, "secret"), Finding(offset, rule.what, True))  # one secret a line is enough to act on
    if _KEYWORD_CLUE.search(text):
        for m in KEYWORD_RULE.finditer(text):
            if _keyword_secret(m):
                offset = _line_of(text, m.start())
                found.setdefault((offset, "secret"), Finding(offset, "an API key or password", True))
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
