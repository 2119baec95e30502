from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbgen.cli import main

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


@pytest.fixture(autouse=True, scope="session")
def _own_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands keep their stores in a folder of the test run's own, never in the user's ~/.cache."""
    old = os.environ.get("KBGEN_CACHE_DIR")
    os.environ["KBGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("kbgen-cache-home"))
    yield
    if old is None:
        os.environ.pop("KBGEN_CACHE_DIR", None)
    else:
        os.environ["KBGEN_CACHE_DIR"] = old


def kbgen(*args: str, cwd: Path | None = None):
    """Run the real CLI in-process; returns click's Result."""
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo knowledge base built once with the real mkdocs build (strict)."""
    site = tmp_path_factory.mktemp("demo") / "site"
    result = kbgen("build", "--strict", "-f", str(REPO / "mkdocs.yml"), "--site-dir", str(site))
    assert result.exit_code == 0, result.output
    return site


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def serve():
    """serve(folder) -> base URL of a static server on 127.0.0.1 for that folder."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context()
    pg = context.new_page()
    yield pg
    context.close()


def search(page, text: str) -> None:
    """Type into mkdocs-material's search box, as a reader does, and wait for the results."""
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(text, delay=10)
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
