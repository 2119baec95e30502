"""What must never be published: secrets, contact details and customer names in public text.

Pure functions over text; validation turns the findings into diagnostics with lines.
"""

from __future__ import annotations

import bisect
import functools
import html
import importlib
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

from .cache import BoundedCache

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
    # Starts only where a token-character run starts: with \b, "eyJ-eyJ-..." rescanned the run from every "eyJ".
    ("a JSON web token", r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyJ",)),
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
_KEYWORD_CLUES = ("key", "secret", "token", "passw", "pwd", "passphrase")
"""The same words: in ASCII text, ignoring case is lower-casing, so plain substring tests find them (a
regex of alternatives ignoring case tries each at every position; other scripts fold letters in more ways)."""
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


# Bounded parts (RFC 5321's lengths): with '+', a long "a.a.a..." rescanned the rest of the text from every
# word boundary looking for an '@', so 64 KB took 15 s. Now each start looks at most ~380 characters ahead.
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}\b")
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


class _Lines:
    """Line offsets by position, found by bisection: counting newlines from the start per finding was quadratic."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks: list[int] | None = None  # found on the first finding: most texts have none

    def __call__(self, pos: int) -> int:
        if self.breaks is None:
            self.breaks = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self.breaks, pos)


_ESCAPED = re.compile(r"%[0-9A-Fa-f]{2}|&#?\w+;")
"""A percent-escape or an entity: what a page may show otherwise than written."""


def shown(text: str) -> str:
    """The lines of ``text`` that a page shows otherwise than written, as it shows them: entities and percent-escapes
    decoded (a token written ``ghp_&#65;...``, a webhook URL escaped inside another address's ``?next=``); every
    other line empty, so line offsets stay and the rest is not scanned twice."""
    out = []
    for line in text.split("\n"):
        if _ESCAPED.search(line):
            read = " ".join(urllib.parse.unquote(html.unescape(line)).splitlines())
            out.append(read if read != line else "")
        else:
            out.append("")
    return "\n".join(out)


T = TypeVar("T")

SHORT_TEXT = 2000
"""Texts up to this long (a title, a product, a tag, a version, most sections) are scanned once per process: they
recur in case after case (an environment, a solution copied from an article), and each scan tests every clue and
runs the contact patterns. At 10,000 generated cases checking took a tenth less time than remembering texts up to
200 characters only."""

ANSWERS = 65_536
"""Answers a :class:`CustomerNames` keeps (:meth:`CustomerNames.remembered`)."""


def scan(text: str, allow_emails: Sequence[str] = ()) -> list[Finding]:
    """Secrets, email addresses and phone numbers in ``text`` as written and as a page shows it (:func:`shown`),
    one finding per line and kind, in line order."""
    if len(text) <= SHORT_TEXT:
        return list(_scan_short(text, tuple(allow_emails)))
    return _scan_text(text, allow_emails)


@functools.lru_cache(maxsize=65536)
def _scan_short(text: str, allow_emails: tuple[str, ...]) -> tuple[Finding, ...]:
    return tuple(_scan_text(text, allow_emails))  # findings are frozen: each caller gets its own list of them


def _scan_text(text: str, allow_emails: Sequence[str]) -> list[Finding]:
    found = _scan(text, allow_emails)
    if _ESCAPED.search(text):
        decoded = shown(text)
        if decoded.strip():
            have = {(f.offset, f.secret, f.what) for f in found}
            lines = {f.offset for f in found if f.secret}  # one secret a line is enough to act on
            found += [f for f in _scan(decoded, allow_emails)
                      if (f.offset, f.secret, f.what) not in have and not (f.secret and f.offset in lines)]
            found.sort(key=lambda f: (f.offset, not f.secret, f.what))
    return found


def _scan(text: str, allow_emails: Sequence[str]) -> list[Finding]:
    found: dict[tuple[int, str], Finding] = {}
    _line_of = _Lines(text)
    rules, clues = _clue_index()
    lower = text.lower()
    present = frozenset([c for c in clues if c in lower])
    for rule in rules[present] if len(present) <= 2 else rules.__missing__(present):
        for m in rule.pattern.finditer(text):
            offset = _line_of(m.start())
            found.setdefault((offset, "secret"), Finding(offset, rule.what, True))  # one secret a line is enough to act on
    if any(w in lower for w in _KEYWORD_CLUES) if text.isascii() else _KEYWORD_CLUE.search(text):
        for m in KEYWORD_RULE.finditer(text):
            if _keyword_secret(m):
                offset = _line_of(m.start())
                found.setdefault((offset, "secret"), Finding(offset, "an API key or password", True))
    without_emails = text
    if "@" in text:
        kept: list[str] = []  # the text with every address blanked, built once (not copied per address)
        end = 0
        for m in EMAIL.finditer(text):
            kept += [text[end : m.start()], " " * (m.end() - m.start())]
            end = m.end()
            if not _allowed(m.group(0), allow_emails):
                offset = _line_of(m.start())
                found.setdefault((offset, "email"), Finding(offset, f"an email address ({m.group(0)})", False))
        without_emails = "".join(kept) + text[end:]
    for m in PHONE.finditer(without_emails):
        offset = _line_of(m.start())
        found.setdefault((offset, "phone"), Finding(offset, "a phone number", False))
    return sorted(found.values(), key=lambda f: (f.offset, not f.secret, f.what))


_WORD = re.compile(r"\w+")

# Letters from other scripts that look like Latin ones, after case folding: a heading written
# with a Cyrillic "а" or a Greek "ο" must still read as "internal notes", and a customer name
# typed with one must still be found. A hand-kept subset of Unicode's confusables, covering
# the Cyrillic, Greek and small-capital letters that pass for Latin in ordinary fonts.
CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l",
    "ԛ": "q", "ԝ": "w", "ь": "b", "г": "r", "ɡ": "g", "ı": "i", "ɪ": "i", "ʟ": "l", "ɴ": "n", "ʀ": "r", "ꜱ": "s",
    "ᴛ": "t", "ᴇ": "e", "ᴀ": "a", "ᴏ": "o", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ᴄ": "c", "ᴅ": "d", "ᴋ": "k",
    "ᴍ": "m", "ᴘ": "p", "ℓ": "l", "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
})


def visible(text: str) -> str:
    """NFKC, without format characters (zero-width spaces and joiners, bidi marks, soft hyphens)."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def fold(text: str) -> str:
    """Text as a reader takes it in: NFKC, invisible characters dropped, case folded, look-alike letters made Latin."""
    text = visible(text).casefold()
    return text if text.isascii() else text.translate(CONFUSABLES)  # every look-alike is outside ASCII


_PUNCTUATION = re.compile(r"[^\w\s]")


@lru_cache(maxsize=4096)
def heading_key(title: str) -> str:
    """A section heading as a reader sees it, punctuation ignored ('## Problem:' is 'problem'); remembered,
    because every case repeats the same few headings and every stage asks for them."""
    return " ".join(_PUNCTUATION.sub(" ", fold(title)).split())


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """:func:`fold` of one word, remembered: the words of support cases repeat a lot."""
    return fold(word)


_SKELETON = str.maketrans({"1": "l", "i": "l", "|": "l", "!": "l", "0": "o"})
_INTERNAL_NOTES = ("lnternalnotes", "lnternalnote")


def _skeleton(text: str) -> str:
    """Letters only, with i/l/1 and o/0 made one letter: how a heading looks, not how it is spelt."""
    return "".join(c for c in fold(text).translate(_SKELETON) if c.isalpha())


@lru_cache(maxsize=4096)
def reads_internal(heading: str) -> bool:
    """A heading that a reader would take for 'Internal notes' (or anything else starting 'Internal')."""
    return _skeleton(heading).startswith("lnternal")


def reads_internal_notes(line: str) -> bool:
    """A whole line that reads as just 'Internal notes' (markup and tags aside): stricter than
    :func:`reads_internal`, because prose may well start with the word 'internal'."""
    if line.isascii() and "nternal" not in line.lower():  # most lines: no need to fold them
        return False
    return _skeleton(re.sub(r"<[^<>]*>", "", line)) in _INTERNAL_NOTES


MIN_NAME = 3
"""A customer name shorter than this (after folding) matches too much text to be checked."""


class CustomerNames:
    """Finds any customer name in text in time linear in the text, however many customers there are.

    Text and names are compared folded (:func:`fold`: Unicode NFKC, case folded, invisible
    characters dropped, look-alike letters made Latin), word by word, so line breaks and
    punctuation between the words of a name do not hide it. A one-word name written in lower
    case in the text ("shell" for the customer "Shell") is taken for an ordinary word, except
    in ids, which are matched whatever their case.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.multi: set[str] = set()
        self.first: set[str] = set()  # first words of multi-word names: most words are not, so no phrase is built
        self.single: set[str] = set()
        self.lower_single: set[str] = set()  # one-word names that are themselves written in lower case
        self.too_short: set[str] = set()
        self.longest = 1
        self._answers: BoundedCache[Hashable, Any] = BoundedCache(ANSWERS)  # see remembered
        for name in names:
            words = [fold_word(w) for w in _WORD.findall(visible(name))]
            if not words:
                continue
            if len("".join(words)) < MIN_NAME:
                self.too_short.add(name)
                continue
            if len(words) == 1:
                self.single.add(words[0])
                if visible(name).strip().islower():
                    self.lower_single.add(words[0])
            else:
                self.multi.add(" ".join(words))
                self.first.add(words[0])
                self.longest = max(self.longest, len(words))

    def __bool__(self) -> bool:
        return bool(self.multi or self.single)

    def find(self, text: str, any_case: bool = False) -> str | None:
        """The first customer name in ``text``, as written there; ``any_case`` for ids ("globex-17")."""
        if len(text) > SHORT_TEXT:
            return self._find(text, any_case)
        # a text up to SHORT_TEXT long is looked at once: products, tags, versions and whole sections recur
        return self.remembered((text, any_case), lambda: self._find(text, any_case))

    def remembered(self, key: Hashable, answer: Callable[[], T]) -> T:
        """``answer()``, worked out once per ``key`` for these names (a pure function of the key and the names):
        the texts checked recur from case to case. The :data:`ANSWERS` used last are kept."""
        return cast(T, self._answers.get(key, answer))

    def _find(self, text: str, any_case: bool) -> str | None:
        if text.isascii():
            # ASCII text folds to its lower case, word for word: one pass over it rules out almost every text
            present = set(_WORD.findall(text.lower()))
            if self.single.isdisjoint(present) and self.first.isdisjoint(present):
                return None
        originals = _WORD.findall(visible(text))
        words = [fold_word(w) for w in originals]
        for i, word in enumerate(words):
            if word in self.single and (any_case or not originals[i].islower() or word in self.lower_single):
                return originals[i]
            if word not in self.first:
                continue
            for n in range(2, self.longest + 1):
                if i + n <= len(words) and " ".join(words[i : i + n]) in self.multi:
                    return " ".join(originals[i : i + n])
        return None
