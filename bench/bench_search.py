"""Search at scale: Material's lunr index against kbgen's Pagefind worker, in a real browser.

Generates N article pages (about 1.5 KB of Markdown each, shaped like kbgen's articles:
title, facts, Problem with the error message in backticks, Environment, Solution steps,
Cause, Also reported as, Related articles; kept out of the nav), builds two plain
Material sites from them with ``mkdocs build``:

- ``lunr``: articles in Material's search index (what a site gets today);
- ``pagefind``: articles excluded from it (``search: {exclude: true}``), the kbgen worker
  wired in with an MkDocs hooks file (the same calls the kbgen plugin makes), and
  ``kbgen.search.index_site`` run after the build;

then, in Debian's chromium driven by Playwright, opens an article page, pastes an exact
error message into Material's search box and counts the bytes received until the first
result is shown. The test server sends files uncompressed; the gzip column is what a host
that compresses would send (each response gzipped at level 6).

    .venv/bin/python bench/bench_search.py                # N = 1,000 and 10,000
    .venv/bin/python bench/bench_search.py -n 2000 --keep /tmp/kbsearch
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import http.server
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kbgen import search  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

PRODUCTS = ["Acme Sync", "Acme Invoice", "Acme Gateway", "Acme Mail", "Acme Reports", "Acme Print"]
AREAS = ["login", "upload", "export", "calendar", "backup", "proxy", "licence", "printer", "database", "mailbox",
         "dashboard", "webhook", "importer", "scheduler", "connector", "certificate", "token", "firewall"]
VERBS = ["fails", "stops", "hangs", "crashes", "times out", "is rejected", "loops", "shows an error"]
WHEN = ["after the update", "on startup", "when saving", "for new users", "behind a proxy", "on macOS",
        "after a password change", "during the nightly job", "with large files", "on the mobile app"]
FIXES = [
    "Open **Settings > {a}** and clear the {b} cache.",
    "Sign out, sign in again, and retry the {a} step.",
    "Update the {b} connector to the latest version and restart the service.",
    "Ask an administrator to renew the {b} certificate in the admin console.",
    "Check that the proxy allows `{host}` on port {port}.",
    "Delete the local `{a}.db` file; it is rebuilt on the next start.",
    "Reduce the {a} batch size to {n} items in **Advanced options**.",
    "Re-run the {b} wizard and choose *Repair*.",
]
HTTP = ["401 Unauthorized", "403 Forbidden", "404 Not Found", "409 Conflict", "429 Too Many Requests",
        "500 Internal Server Error", "502 Bad Gateway", "503 Service Unavailable", "504 Gateway Timeout"]
SSL = ["CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER", "TLSV1_ALERT_PROTOCOL_VERSION", "SSLV3_ALERT_HANDSHAKE_FAILURE"]
FONTS = ["Helvetica-Bold", "Arial-BoldMT", "TimesNewRoman", "Calibri-Light", "DejaVuSans", "Roboto-Medium"]
JAVA = ["OutOfMemoryError: Java heap space", "NullPointerException", "IllegalStateException: connection closed",
        "SocketTimeoutException: Read timed out"]
FILLER = [
    "The", "customer", "saw", "the", "message", "every", "time", "and", "the", "log", "showed", "the", "same",
    "entry.", "Other", "users", "on", "the", "same", "tenant", "were", "not", "affected.", "The", "agent",
    "reproduced", "it", "on", "a", "test", "account", "and", "confirmed", "the", "fix", "below.",
]


def error_message(rnd: random.Random, a: str, b: str) -> str:
    kind = rnd.randrange(8)
    if kind == 0:
        return f"HTTP {rnd.choice(HTTP)}"
    if kind == 1:
        return f"SSL: {rnd.choice(SSL)}"
    if kind == 2:
        return f"PDF export failed: font '{rnd.choice(FONTS)}' not embedded"
    if kind == 3:
        return f"java.lang.{rnd.choice(JAVA)}"
    if kind == 4:
        return f"ORA-{rnd.randrange(1000, 29999):05d}: TNS:could not resolve the connect identifier"
    if kind == 5:
        return f"ECONNREFUSED 10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}:{rnd.randrange(1024, 65535)}"
    return f"ERR_{a.upper()}_{b.upper()} 0x{rnd.randrange(16 ** 8):08X}"


def article(i: int, n: int, rnd: random.Random) -> tuple[str, str, str, str]:
    """(id, title, Markdown body) of one article; its exact error message is unique."""
    a, b = rnd.sample(AREAS, 2)
    product = rnd.choice(PRODUCTS)
    message = f"ERR_{a.upper()}_{b.upper()} 0x{i * 2654435761 % 16 ** 8:08X}" if i % 3 == 0 else error_message(rnd, a, b)
    title = f"{product}: {a} {rnd.choice(VERBS)} {rnd.choice(WHEN)}"
    fixes = rnd.sample(FIXES, 4)
    host = f"{b}.acme.example"
    steps = "\n".join(f"{k}. " + f.format(a=a.title(), b=b, host=host, port=rnd.choice([443, 8443, 5432]), n=rnd.randrange(10, 500))
                      for k, f in enumerate(fixes, 1))
    filler = " ".join(rnd.choices(FILLER, k=45))
    other = error_message(rnd, b, a)
    related = sorted({(i + d) % n for d in (1, 7, 31)} - {i})
    body = f"""# {title}

<dl class="kb-facts">
<dt>Product</dt><dd>{product}</dd>
<dt>Applies to</dt><dd>{rnd.randrange(3, 9)}.{rnd.randrange(0, 12)}</dd>
<dt>Resolved</dt><dd>2026-{rnd.randrange(1, 12):02d}-{rnd.randrange(1, 28):02d}</dd>
</dl>

## Problem

When a user tries to {a} in {product}, the {b} step {rnd.choice(VERBS)} and the app shows `{message}`. {filler.capitalize()}.

## Environment

{product} {rnd.randrange(3, 9)}.{rnd.randrange(0, 12)} on Windows 11 and macOS 14, {b} connector {rnd.randrange(1, 5)}.{rnd.randrange(0, 9)}.

## Solution

{steps}

## Cause

A stale {b} entry left behind by the upgrade makes the {a} request fail before it reaches the server.

## Also reported as

- {a.title()} {b} broken {rnd.choice(WHEN)}
- <code>{other}</code>

<div class="kb-related" markdown>

## Related articles

""" + "".join(f"- [Article {r}](../kb-{r:05d}/index.md)\n" for r in related) + "\n</div>\n"
    return f"kb-{i:05d}", title, body, message


HOOKS = (Path(__file__).resolve().parent / "search_hooks.py").read_text(encoding="utf-8")  # kbgen's search, no pipeline


def write_site(root: Path, n: int, *, pagefind: bool, seed: int = 1) -> dict[str, str]:
    """Docs and mkdocs.yml of a Material site with n articles; returns {id: exact error message}."""
    docs = root / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    (docs / "kb").mkdir(parents=True)
    (docs / "index.md").write_text("---\nsearch:\n  exclude: true\n---\n# Knowledge base\n\nSearch by the error message you see.\n")
    rnd = random.Random(seed)
    messages = {}
    meta = "search:\n  exclude: true\n" if pagefind else "search:\n  boost: 2\n"
    for i in range(n):
        ident, _title, body, message = article(i, n, rnd)
        (docs / "kb" / ident).mkdir()
        (docs / "kb" / ident / "index.md").write_text(f"---\n{meta}---\n\n{body}")
        messages[ident] = message
    hooks = ""
    if pagefind:
        (root / "hooks.py").write_text(HOOKS)
        hooks = "hooks:\n  - hooks.py\n"
    (root / "mkdocs.yml").write_text(f"""site_name: Bench KB
site_url: https://support.example.com/kb/
theme:
  name: material
  font: false
  features: [search.highlight, search.suggest]
plugins:
  - search
not_in_nav: |
  kb/
markdown_extensions:
  - attr_list
  - md_in_html
  - toc:
      permalink: true
{hooks}""")
    return messages


def build(root: Path) -> float:
    start = time.perf_counter()
    env = {"NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"mkdocs build failed in {root}:\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - start


def tree_bytes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


class _Counting(http.server.SimpleHTTPRequestHandler):
    """Serves the site and records every body it sends: (clock ms when asked, path, bytes)."""

    sent: list[tuple[float, str, bytes]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        asked = time.time() * 1000
        body = source.read()
        self.sent.append((asked, self.path, body))
        outputfile.write(body)


@dataclass
class Transfer:
    ms: float = 0.0
    first: str = ""
    requests: int = 0
    raw: int = 0
    gz: int = 0
    search_raw: int = 0
    search_gz: int = 0
    rows: list[tuple[str, int, int]] = field(default_factory=list)


def first_result(site: Path, page_path: str, query: str, target: str, typed: bool = False) -> Transfer:
    """Bytes received from opening page_path until target shows as the first result for query."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    sent: list[tuple[float, str, bytes]] = []
    handler = type("Handler", (_Counting,), {"sent": sent})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    t = Transfer()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(base + page_path, wait_until="networkidle")
            box = page.locator("input.md-search__input")
            box.click()
            # the clock time the target is first shown as the first result; later requests do not count
            page.evaluate("""target => new MutationObserver((_, observer) => {
                const first = document.querySelector(".md-search-result__item a")
                if (first && first.href.includes(target)) {
                    window.__first = Date.now()
                    observer.disconnect()
                }
            }).observe(document.querySelector(".md-search-result__list"), {childList: true, subtree: true})""", f"/{target}/")
            start = time.time() * 1000
            if typed:
                box.press_sequentially(query, delay=120)  # about 8 keys a second, on a phone
            else:
                box.fill(query)  # a pasted message
                box.dispatch_event("keyup")
            try:
                page.wait_for_function("() => window.__first", timeout=60_000)
                shown = page.evaluate("window.__first")
            except PlaywrightTimeout:  # the target never came first: count everything
                shown = time.time() * 1000
            t.ms = shown - start
            t.first = page.locator(".md-search-result__item a").first.get_attribute("href") or ""
            page.wait_for_timeout(1000)
            for asked, path, body in list(sent):
                if asked > shown:
                    continue
                gz = len(gzip.compress(body, 6))
                url = path.lstrip("/")
                t.requests += 1
                t.raw += len(body)
                t.gz += gz
                if url.startswith(("search/", "pagefind/", "assets/javascripts/workers/", search.WORKER)):
                    t.search_raw += len(body)
                    t.search_gz += gz
                t.rows.append((url, len(body), gz))
            browser.close()
    finally:
        server.shutdown()
    return t


def kb(n: int) -> str:
    return f"{n / 1e3:,.1f} KB" if n < 1e6 else f"{n / 1e6:,.2f} MB"


def run(n: int, work: Path, verbose: bool) -> list[str]:
    lines = []
    results = {}
    for mode in ("lunr", "pagefind"):
        root = work / f"{mode}-{n}"
        messages = write_site(root, n, pagefind=mode == "pagefind")
        seconds = build(root)
        site = root / "site"
        index = site / "search" / "search_index.json"
        target = f"kb-{(n * 2) // 3 // 3 * 3:05d}"  # a unique ERR_..._... 0x... message
        query = messages[target]
        t = first_result(site, "kb/kb-00001/", query, target)
        results[mode] = (seconds, index.stat().st_size, t, target, query)
        if mode == "pagefind":
            typed = first_result(site, "kb/kb-00001/", query, target, typed=True)
        if verbose:
            for url, raw, gz in t.rows + (typed.rows if mode == "pagefind" else []):
                print(f"  {mode:8} {raw:>10,} {gz:>9,}  {url}")
    pf_site = work / f"pagefind-{n}" / "site"
    files, size = tree_bytes(pf_site / "pagefind")
    before = digest(pf_site / "pagefind")
    stats = search.index_site(pf_site)
    same = digest(pf_site / "pagefind") == before
    _, lunr_index, lt, target, query = results["lunr"][:5]
    _, small_index, pt, _, _ = results["pagefind"][:5]
    lines.append(f"N = {n:,}   query: {query!r} (article {target})")
    lines.append(f"  build: lunr site {results['lunr'][0]:.1f} s; pagefind site {results['pagefind'][0]:.1f} s "
                 f"(index_site alone, rerun: {stats.seconds:.1f} s, {stats.pages:,} pages); rerun byte-identical: {same}")
    lines.append(f"  search/search_index.json: lunr site {kb(lunr_index)}, pagefind site {kb(small_index)}; "
                 f"pagefind/ {files:,} files, {kb(size)}")
    lines.append(f"  {'':10} {'requests':>8} {'received':>11} {'gzip':>11} {'of it search':>13} {'gzip':>11} {'time':>8}  first result")
    for mode, t in (("lunr", lt), ("pagefind", pt), ("typed", typed)):
        ok = "OK" if target in t.first else f"WRONG: {t.first}"
        lines.append(f"  {mode:10} {t.requests:>8} {kb(t.raw):>11} {kb(t.gz):>11} {kb(t.search_raw):>13} {kb(t.search_gz):>11} "
                     f"{t.ms:>6.0f} ms  {ok}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, action="append", help="article count (repeatable); default 1000 and 10000")
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every response")
    args = parser.parse_args()
    counts = args.n or [1000, 10_000]
    work = args.keep or Path(tempfile.mkdtemp(prefix="kbgen-search-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        out = []
        for n in counts:
            out += run(n, work, args.verbose)
            print("\n".join(out[-6:]), flush=True)
        print("\n" + "\n".join(out))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
