from __future__ import annotations

import contextlib
import gc

from kbgen.load import MAX_FILE_BYTES, load_cases, no_cycle_collection, parse_yaml, read_case, split_sections, strip_comments


def read(text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_case(data, "cases/x.md")


def messages(problems) -> list[str]:
    return [f"{p.line}:{p.severity}:{p.message}" for p in problems]


def test_front_matter_fields_carry_their_lines():
    raw, problems = read("---\nid: A-1\ntitle: T\nproduct: P\nresolved: 2026-03-03\n---\n\n## Problem\nx\n\n## Solution\ny\n")
    assert problems == []
    assert raw.meta["resolved"] == "2026-03-03"  # dates stay text so validation can name the line
    assert raw.meta_lines == {"id": 2, "title": 3, "product": 4, "resolved": 5}
    assert [(s.title, s.line) for s in raw.sections] == [("Problem", 8), ("Solution", 11)]


def test_yaml_syntax_error_names_the_file_line():
    raw, problems = read("---\nid: A-1\ntitle: [unclosed\nproduct: P\n---\n")
    assert raw is None
    assert problems[0].path == "cases/x.md"
    assert problems[0].line == 3  # the line of the unclosed bracket, not where YAML noticed it
    assert "invalid YAML" in problems[0].message


def test_missing_unterminated_empty_front_matter_and_empty_file():
    assert "no front matter" in read("## Problem\nx\n")[1][0].message
    assert "not closed" in read("---\nid: A\n## Problem\n")[1][0].message
    assert "front matter is empty" in read("---\n---\n## Problem\n")[1][0].message
    assert "file is empty" in read("  \n")[1][0].message


def test_front_matter_must_be_a_mapping():
    raw, problems = read("---\n- a\n- b\n---\n")
    assert raw is None and "mapping" in problems[0].message


def test_not_utf8_names_the_line():
    raw, problems = read(b"---\nid: A\ntitle: caf\xe9\n---\n")
    assert raw is None
    assert problems[0].line == 3 and "UTF-8" in problems[0].message


def test_alias_bomb_fails_fast_and_small():
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    ) + "---\n"
    raw, problems = read(bomb)
    assert raw is None
    assert "aliases" in problems[0].message


def test_oversized_file_is_refused_unread():
    raw, problems = read(b"---\n" + b"x" * (MAX_FILE_BYTES + 1))
    assert raw is None and "limit" in problems[0].message


def test_duplicate_key_is_an_error():
    _, _lines, problems = parse_yaml("id: A\nid: B\n", "f.yml", first_line=2)
    assert problems and problems[0].line == 3 and "twice" in problems[0].message


def test_comments_removed_keeping_line_numbers():
    body, problems = strip_comments("a\n<!-- secret\nmore -->\nb\n", "f", 10)
    assert "secret" not in body and body.split("\n")[3] == "b"
    assert problems == []
    _, problems = strip_comments("a\n<!-- never closed\n", "f", 10)
    assert problems[0].line == 11


def test_headings_inside_code_fences_do_not_split_sections():
    pre, sections, problems = split_sections("## Problem\n```\n## not a heading\n```\n## Solution\nfix\n", 5)
    assert problems == []
    assert pre == ""
    assert [s.title for s in sections] == ["Problem", "Solution"]
    assert "## not a heading" in sections[0].body
    assert sections[1].line == 9


def test_headings_are_read_as_markdown_renders_them():
    body = "## Problem\nx\n\n## Solution\nfix\n\nInternal Notes:\n---\nsecret\n\n# Cause\nwhy\n"
    _, sections, problems = split_sections(body, 1, "f.md")
    assert problems == []
    assert [(s.title, s.key, s.internal) for s in sections] == [
        ("Problem", "problem", False), ("Solution", "solution", False), ("Internal Notes:", "internal notes", True), ("Cause", "cause", False)]
    assert "secret" in sections[2].body and "---" not in sections[2].body


def test_unclosed_fence_and_nested_internal_heading_are_errors():
    _, _, problems = split_sections("## Solution\n```\ncode\n## Internal notes\nsecret\n", 10, "f.md")
    assert [(p.line, p.message[:30]) for p in problems] == [(11, "code fence '```' is never clos"), (13, "'## Internal notes' is inside ")]
    _, _, problems = split_sections("## Solution\nfix\n### Internal notes\nsecret\n", 10, "f.md")
    assert problems[0].line == 12 and "would be published" in problems[0].message


def test_loading_leaves_the_cycle_collector_as_it_found_it(tmp_path):
    """Loading pauses the collector for speed; a program that loads cases (serve, many times) must get it back."""
    (tmp_path / "a.md").write_text("---\nid: A-1\ntitle: T\nproduct: P\nresolved: 2026-03-03\n---\n\n## Problem\nx\n\n## Solution\ny\n")
    (tmp_path / "b.md").write_bytes(b"\xff not utf-8")
    assert gc.isenabled()
    raws, problems = load_cases(tmp_path, tmp_path)
    assert [p for p, raw in raws if raw is not None] == ["a.md"] and "UTF-8" in problems[0].message
    assert gc.isenabled()
    gc.disable()
    try:
        load_cases(tmp_path)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
    with no_cycle_collection(), contextlib.suppress(ValueError):
        raise ValueError("a crash while loading")
    assert gc.isenabled()
