"""One Markdown parse finds the sections and renders them: the cases from issue 10, class 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kbgen import markdown
from kbgen.load import read_case
from tests.conftest import kbgen
from tests.kb import case_text, write_kb

HEAD = "---\nid: A-1\ntitle: T\nproduct: P\nresolved: 2026-01-01\n---\n\n## Problem\nIt fails.\n\n## Solution\n"

# (body after '## Solution\n', what must happen): "cut" = the notes are an internal section, never
# rendered; an int = an error on that line, so the case is not published.
LEAKS: dict[str, tuple[str, str | int]] = {
    "inline fence before the heading": ("1. Run ```kbgen build``` again.\n\n## Internal notes\nSECRET\n", "cut"),
    "fence closed by a line with an info string": ("```sh\nkbgen build\n```sh\n\n## Internal notes\nSECRET\n```\n", 16),
    "setext heading after a heading": ("1. Fix.\n\n## Cause\nInternal notes\n--------------\nSECRET\n", "cut"),
    "setext heading after a rule": ("1. Fix.\n\n***\nInternal notes\n===\nSECRET\n", "cut"),
    "setext heading with CRLF": ("1. Fix.\r\n\r\nInternal notes\r\n---\r\nSECRET\r\n", "cut"),
    "lone CR before the heading": ("1. Fix.\r## Internal notes\rSECRET\r", "cut"),
    "heading in a list item": ("1. Fix.\n\n   ## Internal notes\n   SECRET\n", 14),
    "heading in a blockquote": ("1. Fix.\n\n> ## Internal notes\n> SECRET\n", 14),
    "heading in an admonition": ("1. Fix.\n\n!!! note\n    ## Internal notes\n    SECRET\n", 15),
    "level-3 heading": ("1. Fix.\n\n### Internal notes\nSECRET\n", 14),
    "raw HTML heading": ("1. Fix.\n\n<h2>Internal notes</h2>\n<p>SECRET</p>\n", 14),
    "bold line": ("1. Fix.\n\n**Internal notes:**\nSECRET\n", 14),
    "Cyrillic look-alikes": ("1. Fix.\n\n## Іntеrnаl nоtеs\nSECRET\n", "cut"),
    "Greek look-alikes": ("1. Fix.\n\n## Ιnternal nοtes\nSECRET\n", "cut"),
    "zero-width space": ("1. Fix.\n\n## Inter\u200bnal notes\nSECRET\n", "cut"),
    "soft hyphen and full-width letters": ("1. Fix.\n\n## \uff29nter\u00adnal notes\nSECRET\n", "cut"),
    "small capitals": ("1. Fix.\n\n## ɪɴᴛᴇʀɴᴀʟ ɴᴏᴛᴇꜱ\nSECRET\n", "cut"),
    "l for I": ("1. Fix.\n\n## lnternal notes\nSECRET\n", "cut"),
    "nested in a nested list in a quote": ("1. Fix.\n\n> - a\n>\n>   Internal notes\n>   ---\n>   SECRET\n", 16),
    "private title not starting with Internal": ("1. Fix.\n\n## Notes (internal)\nSECRET\n", 14),
    "private notes": ("1. Fix.\n\n## Private notes\nSECRET\n", 14),
    "inside an HTML details block": ("<details>\n<summary>Internal notes</summary>\nSECRET\n</details>\n", 13),
}


@pytest.mark.parametrize("name", LEAKS)
def test_private_text_is_cut_or_the_case_is_rejected(name: str) -> None:
    body, expected = LEAKS[name]
    raw, problems = read_case((HEAD + body).encode(), "c.md")
    assert raw is not None
    public = [s for s in raw.sections if not s.internal]
    errors = [p for p in problems if p.severity == "error"]
    if expected == "cut":
        assert errors == [], errors
        assert any(s.internal for s in raw.sections)
        assert all("SECRET" not in s.html and "SECRET" not in s.body for s in public)
        assert [s.key for s in public] == ["problem", "solution", *(["cause"] if "## Cause" in body else [])]
    else:
        assert expected in [p.line for p in errors], problems


def test_section_html_and_source_come_from_one_parse() -> None:
    raw, problems = read_case((HEAD + "1. Run `a <b>`\n\n```\n## not a heading\n```\n\n## Cause\nWhy.\n").encode(), "c.md")
    assert raw is not None and problems == []
    problem, solution, cause = raw.sections
    assert (problem.line, solution.line, cause.line) == (8, 11, 18)
    assert "## not a heading" in solution.body and "<code>## not a heading\n</code>" in solution.html
    assert "<code>a &lt;b&gt;</code>" in solution.html
    assert cause.html == "<p>Why.</p>\n"


def test_link_references_defined_in_internal_notes_resolve_nothing() -> None:
    body = "See [the ticket][t] and [docs].\n\n[docs]: https://docs.example/\n\n## Internal notes\n[t]: https://tickets.example/4411 \"SECRET\"\n"
    raw, problems = read_case((HEAD + body).encode(), "c.md")
    assert raw is not None and problems == []
    solution = raw.sections[1].html
    assert "tickets.example" not in solution and "SECRET" not in solution and "[the ticket][t]" in solution
    assert '<a href="https://docs.example/">docs</a>' in solution


def test_a_line_read_before_still_links_when_a_later_body_defines_its_reference() -> None:
    """Equal inline texts share one parse only where no link reference is defined: the same line means another thing
    in a body that defines [docs]."""
    plain = "1. See [docs] and [the ticket][t].\n"
    first = markdown.parse_body("## Solution\n" + plain, 1)[1][0].html
    linked = markdown.parse_body("## Solution\n" + plain + "\n[docs]: https://docs.example/\n", 1)[1][0].html
    again = markdown.parse_body("## Solution\n" + plain, 1)[1][0].html
    assert "[docs]" in first and first == again
    assert '<a href="https://docs.example/">docs</a>' in linked and "[the ticket][t]" in linked


LINES = st.sampled_from([
    "Restart the **Sync** service.", "Run `kbgen build` again.", "See [docs] or [the ticket][t].", "Clear the cache \\# now",
    "![alt \\*x\\* `y`](a.png) and *em*", "x <!-- SECRET --> y", "<span>Globex</span> &amp; &#98;", "a  \nb\\\nc", "Internal notes",
    "~~old~~ and ***both*** _under_score_", "<https://example.com/x> and www.example.com", "[docs]: https://docs.example/", "",
])
BLOCKS = st.one_of(
    LINES,
    st.lists(LINES, min_size=1, max_size=3).map(lambda ls: "\n".join(f"{n}. {t}" for n, t in enumerate(ls, 1))),
    LINES.map(lambda t: f"> {t}"), LINES.map(lambda t: f"- {t}\n  - {t}"), LINES.map(lambda t: f"{t}\n---"),
    LINES.map(lambda t: f'!!! note "{t}"\n    {t}'), LINES.map(lambda t: f"| a | b |\n|---|---|\n| {t} | x |"),
    LINES.map(lambda t: f"```\n{t}\n```"), LINES.map(lambda t: f"## {t}"),
    st.sampled_from(["## Problem", "## Solution", "## Internal notes\n[t]: https://tickets.example/1", "[t]: https://t.example/"]),
)
BODIES = st.lists(st.lists(BLOCKS, max_size=8).map("\n\n".join), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(BODIES)
def test_shared_inline_parses_render_what_markdown_it_renders_alone(bodies: list[str]) -> None:
    """Bodies parsed one after the other (lines recurring within and across them, some defining link references)
    come out the same, sections, HTML and problems, as from markdown-it's own inline stage."""
    alone = markdown._parser(shared=False)
    for body in bodies:
        shared = markdown.parse_body(body, 1, "c.md")
        saved, markdown.MD = markdown.MD, alone
        try:  # read whole: the parts parse_body remembers were parsed by the shared parser
            assert markdown._parse(body, 1, "c.md").result() == shared
        finally:
            markdown.MD = saved


# Lines that open, continue or close every kind of block, the ones that run past blank lines above all (fences,
# raw HTML of CommonMark's kinds 1 to 7, indented code), and headings that can start a part (after a blank line)
PART_LINES = st.sampled_from([
    "", "", "", "   ", "\t", "## Problem", "## Solution", "## Internal notes", "# Title", "#", "##", "## ", "##\tTabbed",
    "### Sub", "  ## Indented", "##NoSpace", "Internal notes", "text", "more text", "1. Step one.", "2. Step two.", "- item",
    "   continued", "    indented code", "        deeper", "```", "```sh", "~~~", "````", "   ```", "> ```", "> quote", ">",
    "- ```", "  ```", "<div>", "</div>", "<pre>", "</pre>", "<!-- open", "-->", "<script>", "</script>", "<style>",
    "</style>", "<textarea>", "</textarea>", "<?php", "?>", "<!DOCTYPE x", "<![CDATA[", "]]>", "<span>inline</span>",
    "<custom-tag>", "| a | b |", "|---|---|", "| 1 | 2 |", "!!! note", "!!! note \"Internal notes\"", "??? tip", "    body",
    "===", "---", "***", "[t]: https://t.example/", "[t]", "  - nested", "1) other", "<details>", "</details>",
])
PART_BODIES = st.lists(st.one_of(PART_LINES, st.sampled_from(["\n## Environment", "\n## Solution", "\n# Internal notes"])),
                       max_size=40).map("\n".join)


@settings(max_examples=1500, deadline=None)
@given(st.lists(PART_BODIES, min_size=1, max_size=4))
def test_a_body_read_in_remembered_parts_is_read_as_it_is_whole(bodies: list[str]) -> None:
    """parse_body reads a body in parts cut before headings that follow a blank line, each remembered: sections,
    sources, HTML, lines and problems must be exactly those of the one parse of the whole body, whatever is left
    open before a cut (a fence, raw HTML, a list, a quote, a table, an admonition) and whatever was read before."""
    for body in bodies:
        assert markdown.parse_body(body, 7, "c.md") == markdown._parse(body, 7, "c.md").result()


def test_parts_are_remembered_and_an_open_fence_before_a_cut_reads_the_body_whole() -> None:
    """The same solution in two cases is parsed once; a fence left open before a heading swallows it, as a whole
    parse reads it (were the parts read alone, the notes after it would be cut as a section of their own)."""
    solution = "## Solution\n1. Restart the sync service, then sign in again.\n\n"
    before = markdown._part.cache_info().hits
    markdown.parse_body("## Problem\nIt fails.\n\n" + solution + "## Internal notes\nTicket 1.\n", 1)
    markdown.parse_body("## Problem\nIt hangs.\n\n" + solution + "## Internal notes\nTicket 2.\n", 1)
    assert markdown._part.cache_info().hits > before
    _, sections, problems = markdown.parse_body("## Solution\n```\nrun it\n\n## Internal notes\nSECRET\n", 1)
    assert [s.title for s in sections] == ["Solution"] and "SECRET" in sections[0].body
    assert problems and "never closed" in problems[0].message


def test_comments_never_reach_the_html() -> None:
    raw, problems = read_case((HEAD + "1. Fix <!-- SECRET --> it.\n<!--\nSECRET\n-->\n2. Done.\n").encode(), "c.md")
    assert raw is not None and problems == []
    assert "SECRET" not in raw.sections[1].html and "SECRET" not in raw.sections[1].body


def test_article_shows_the_parsed_html_untouched_by_python_markdown(tmp_path: Path) -> None:
    """The raw block passes Python-Markdown as it is, even with md_in_html on: blank lines in code stay,
    code keeps Material's highlight classes, and nothing is parsed a second time."""
    solution = "1. Run:\n\n    ```python\n    def f():\n\n\n        return '*not emphasis*'\n    ```\n\n2. Then `x_y_z`.\n"
    config = write_kb(tmp_path, {"a.md": case_text("A-1", solution=solution)})
    text = config.read_text().replace("  - admonition\n", "  - admonition\n  - md_in_html\n  - attr_list\n")
    config.write_text(text)
    result = kbgen("build", "-f", str(config))
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "kb" / "a-1" / "index.html").read_text()
    assert '<h2 id="solution">Solution' in page  # the heading is still anchored by the toc
    assert '<div class="language-python highlight"><pre><span></span><code><span class="k">def</span>' in page
    assert "</span><span class=\"p\">():</span>\n\n\n    <span class=\"k\">return</span>" in page
    assert "<em>" not in page.split('id="solution"')[1].split("</div>\n</div>")[0]
    assert "<code>x_y_z</code>" in page
