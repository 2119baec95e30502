"""Case text against the regexes that read it: every check must stay linear in the text's length.

Run by hand: ``.venv/bin/python bench/bench_regex.py``. For each hostile text it times
``privacy.scan``, ``CustomerNames.find`` and ``load.read_case`` at n and 4n characters and
prints the ratio: about 4 is linear, about 16 is quadratic (a 64 KB email-like string once
took ``kbgen check`` 15 s). Both sizes run in the same process, one after the other, so the
ratio holds even on a busy machine.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from kbgen import load, privacy

HOSTILE: dict[str, Callable[[int], str]] = {
    "email-like local parts": lambda n: "a." * (n // 2) + "@",
    "email-like domains": lambda n: "a@" + "a-" * (n // 2),
    "many @": lambda n: "a@" * (n // 2),
    "many emails": lambda n: "a@b.co " * (n // 7),
    "phone-like digits": lambda n: "+1 " + "1 " * (n // 2),
    "URL scheme run": lambda n: "a" * n + "://",
    "URL user run": lambda n: "http://" + "a:" * (n // 2),
    "password keyword": lambda n: "password" + " " * n,
    "JWT-like dashes": lambda n: "eyJ-" * (n // 4),
    "bearer run": lambda n: "Bearer " + "a" * n,
    "unclosed comments": lambda n: "<!--" * (n // 4),
    "ATX closing hashes": lambda n: "## a" + " #" * (n // 2),
    "nested quotes": lambda n: "> " * (n // 2) + "x",
    "nested lists": lambda n: "".join(" " * (2 * i) + "- x\n" for i in range(min(n // 100, 400))),
    "emphasis": lambda n: "*a" * (n // 2),
    "backticks": lambda n: "`a" * (n // 2),
    "links": lambda n: "[a](" * (n // 4),
    "html tags": lambda n: "<a " * (n // 3),
    "zero-width letters": lambda n: "G\u200bl\u200bo" * (n // 6),
}

NAMES = privacy.CustomerNames(["Globex Corp", "Initech", *(f"Customer {i} Ltd" for i in range(10_000))])


def case(body: str) -> bytes:
    return f"---\nid: A-1\ntitle: T\nproduct: P\nresolved: 2026-01-01\n---\n\n## Problem\n{body}\n\n## Solution\n1. x\n".encode()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(n: int = 16_000) -> int:
    worst = 0.0
    print(f"{'hostile text':26} {'check':14} {'n s':>8} {'4n s':>8} {'ratio':>6}")
    for what, make in HOSTILE.items():
        small, large = make(n), make(4 * n)
        checks: dict[str, Callable[[str], object]] = {
            "privacy.scan": privacy.scan,
            "customer names": NAMES.find,
            "read_case": lambda text: load.read_case(case(text), "bench.md"),
        }
        for name, check in checks.items():
            t_small = timed(lambda: check(small))  # noqa: B023 - called at once
            t_large = timed(lambda: check(large))  # noqa: B023
            ratio = t_large / max(t_small, 1e-4)
            worst = max(worst, ratio if t_large > 0.05 else 0.0)
            print(f"{what:26} {name:14} {t_small:8.4f} {t_large:8.4f} {ratio:6.1f}")
    print(f"worst ratio where the 4n run took over 50 ms: {worst:.1f} (linear ~4, quadratic ~16)")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 16_000))
