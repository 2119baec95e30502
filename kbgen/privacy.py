"""What must never be published: secrets, contact details and customer names in public text.

Pure functions over text; validation turns the findings into diagnostics with lines.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (  # (what, pattern); see _CLUES for the cheap pre-check
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key block", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("a bearer token", re.compile(r"\bBearer\s+[A-Za-z0-9\-._~+/]{20,}=*")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe key", re.compile(r"\b[srp]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z\-_]{35}")),
    # Starts only where a token-character run starts: with \b, "eyJ-eyJ-..." rescanned the run from every "eyJ".
    ("a JSON web token", re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a password inside a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
    (
        "an API key or password",
        re.compile(
            r"(?i)\b(?:api[_-]?key|api[_-]?secret|secret[_-]?key|access[_-]?token|auth[_-]?token|password|passwd|pwd)"
            r"[\"']?\s*[:=]\s*[\"']?(?=[A-Za-z0-9/+_\-]*\d)(?=[A-Za-z0-9/+_\-]*[A-Za-z])[A-Za-z0-9/+_\-]{12,}"
        ),
    ),
)

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


class _Lines:
    """Line offsets by position, found by bisection: counting newlines from the start per finding was quadratic."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks: list[int] | None = None  # found on the first finding: most texts have none

    def __call__(self, pos: int) -> int:
        if self.breaks is None:
            self.breaks = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self.breaks, pos)


def scan(text: str, allow_emails: Sequence[str] = ()) -> list[Finding]:
    """Secrets, email addresses and phone numbers in ``text``, one finding per line and kind, in line order."""
    found: dict[tuple[int, str], Finding] = {}
    _line_of = _Lines(text)
    for what, pattern in SECRET_PATTERNS:
        if not _may_hold(what, text):
            continue
        for m in pattern.finditer(text):
            offset = _line_of(m.start())
            found.setdefault((offset, what), Finding(offset, what, True))
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
    return visible(text).casefold().translate(CONFUSABLES)


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """:func:`fold` of one word, remembered: the words of support cases repeat a lot."""
    return fold(word)


_SKELETON = str.maketrans({"1": "l", "i": "l", "|": "l", "!": "l", "0": "o"})
_INTERNAL_NOTES = ("lnternalnotes", "lnternalnote")


def _skeleton(text: str) -> str:
    """Letters only, with i/l/1 and o/0 made one letter: how a heading looks, not how it is spelt."""
    return "".join(c for c in fold(text).translate(_SKELETON) if c.isalpha())


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
