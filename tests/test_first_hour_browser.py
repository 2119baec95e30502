"""What a new user sees in the browser (issue 15): the top-issues table at desktop and phone widths, flags that do not
look like links, search opened from disk, the reply an agent copies, and no request to anyone but the site."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import kbgen
from tests.kb import case_text, write_kb
from tests.test_first_hour import REGISTRY_SOLUTION

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 800), "wide": (1920, 1080), "tablet": (800, 1000), "phone": (390, 844)}
CARDS = ("tablet", "phone")  # below 960 px each issue is a card: the root cause under the problem

LAYOUT = """() => {
  const box = e => e.getBoundingClientRect();
  const wrap = document.querySelector('.kb-top');
  const rows = [...document.querySelectorAll('.kb-top-table tbody tr')].map(tr => {
    const cell = c => box(tr.querySelector('td.kb-col-' + c));
    return {rank: cell('rank'), problem: cell('problem'), rc: cell('rc'),
            cells: [...tr.querySelectorAll('td')].map(td => ({r: box(td), visible: td.offsetParent !== null}))};
  });
  const heads = [...document.querySelectorAll('.kb-top-table th')].map(th => box(th));
  return {scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth, page: document.documentElement.scrollWidth,
          viewport: window.innerWidth, rows, heads};
}"""


@pytest.mark.parametrize("width", list(WIDTHS))
def test_top_issues_table_shows_every_column_at_every_width(demo_site: Path, serve, browser, width: str):
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, is_mobile=width == "phone")
    page = context.new_page()
    try:
        page.goto(f"{serve(demo_site)}top-issues/")
        layout = page.evaluate(LAYOUT)
        assert layout["page"] <= w, "the page scrolls sideways"
        assert layout["scrollWidth"] <= layout["clientWidth"], "the table is cut off inside its box"
        assert len(layout["rows"]) == 5
        for row in layout["rows"]:
            for cell in row["cells"]:  # every cell of every row is on screen, none clipped at the right edge
                assert cell["visible"] and cell["r"]["left"] >= 0 and cell["r"]["right"] <= w + 0.5, (width, cell)
        if width in CARDS:
            for row in layout["rows"]:  # the root cause reads under the problem, not in a far-off column
                assert row["rc"]["top"] >= row["problem"]["bottom"] - 1
                assert abs(row["rc"]["left"] - row["problem"]["left"]) < 2
        else:
            assert all(head["left"] >= 0 and head["right"] <= w for head in layout["heads"])
            assert layout["rows"][0]["rank"]["width"] < 40, "the # column takes the space the problem needs"
            for row in layout["rows"]:
                assert row["rc"]["left"] > row["problem"]["right"]  # a column of its own on a wide screen
    finally:
        context.close()


def test_top_issues_flags_do_not_look_like_links(demo_site: Path, serve, page):
    page.goto(f"{serve(demo_site)}top-issues/")
    colours = page.evaluate("""() => ({
      flag: getComputedStyle(document.querySelector('.kb-flag')).color,
      link: getComputedStyle(document.querySelector('.kb-top-table td.kb-col-problem a')).color})""")
    assert colours["flag"] != colours["link"]
    red, green, blue = (int(v) for v in colours["flag"].removeprefix("rgb(").rstrip(")").split(",")[:3])
    assert red > 120 and red > 2 * green and red > 2 * blue, colours  # a warning red, in both colour schemes' default


def test_search_opened_from_disk_says_how_to_serve_the_site(demo_site: Path, serve, page):
    page.goto((demo_site / "index.html").as_uri())
    note = page.locator(".kb-search-offline")
    note.wait_for(state="visible", timeout=10_000)
    assert "Search needs the site to be served: run kbgen serve" in note.inner_text()
    assert page.locator(".kb-search-button").count() == 0  # no button that does nothing
    page.goto(serve(demo_site))
    assert page.locator(".kb-search-offline").count() == 0
    page.locator(".kb-search-button").click()
    page.locator("input.md-search__input").wait_for(state="visible", timeout=10_000)
    assert page.evaluate("document.getElementById('__search').checked")


def test_copy_reply_holds_every_step_with_code_verbatim(tmp_path: Path, serve, browser):
    config = write_kb(tmp_path, {"a.md": case_text("REG-1", title="Proxy ignored: `ERR_PROXY_AUTH`", solution=REGISTRY_SOLUTION)})
    assert kbgen("build", "--strict", "-f", str(config)).exit_code == 0
    base = serve(tmp_path / "site")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    page = context.new_page()
    try:
        page.goto(f"{base}kb/reg-1/")
        page.click("[data-kb-copy=reply]")
        page.wait_for_function("document.querySelector('.kb-copied').textContent.includes('reply')")
        reply = page.evaluate("navigator.clipboard.readText()")
    finally:
        context.close()
    assert reply == (
        "Proxy ignored: ERR_PROXY_AUTH\n\n"
        "1. Quit Acme Sync.\n"
        "2. Open regedit and go to HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme_Sync\\proxy_settings.\n"
        "3. Set UseSystemProxy to 1; see the proxy guide (https://docs.acme.example/proxy_setup).\n"
        "4. Run:\n"
        "       acme-sync --reset_token --user=first_last\n"
        "5. Start Acme Sync again.\n\n"
        "https://kb.example.com/kb/reg-1/"
    )


def test_pages_ask_nobody_but_the_site(demo_site: Path, serve, page):
    """No fonts (or anything else) from Google or any third party: works offline, tells nobody who reads."""
    base = serve(demo_site)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    for path in ("", "top-issues/", "browse/"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    assert hosts == {urlsplit(base).netloc}, hosts
