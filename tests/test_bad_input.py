"""Every kind of bad input gets one clear line naming the file and line, all reported in one run, never a traceback."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import kbgen
from tests.kb import case_text, write_kb

GOOD_RC = "RC-1:\n  title: Old token\n  kind: defect\n  status: open\n"
BOMB = "---\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
    for i in range(1, 30)
) + "---\n"

# file name -> (content, expected "line: severity: message" fragment)
BAD: dict[str, tuple[str | bytes, str]] = {
    "yaml-syntax.md": ("---\nid: A-1\ntitle: \"unclosed\nproduct: P\n---\n", "3: error: invalid YAML"),
    "no-front-matter.md": ("## Problem\nx\n", "1: error: no front matter"),
    "unterminated.md": ("---\nid: A-2\ntitle: T\n", "1: error: front matter is not closed"),
    "empty-front-matter.md": ("---\n---\n## Problem\nx\n", "1: error: front matter is empty"),
    "not-a-mapping.md": ("---\n- id\n- title\n---\n", "2: error: front matter must be 'field: value' lines"),
    "missing-fields.md": ("---\nid: A-3\n---\n## Problem\nx\n## Solution\ny\n", "1: error: 'title' is required"),
    "empty-field.md": (case_text("A-4", title=""), "3: error: 'title' is required; it is empty"),
    "wrong-type.md": (case_text("A-5", extra_meta="tags: 5\nhandle_minutes: lots\n"), "6: error: 'tags' must be a list"),
    "impossible-date.md": (case_text("A-6", resolved="2026-02-30"), "5: error: 'resolved' is not a real date: 2026-02-30"),
    "opened-after.md": (case_text("A-7", extra_meta="opened: 2026-04-01\n"), "6: error: 'opened' (2026-04-01) is after 'resolved'"),
    "dup-id-1.md": (case_text("Same-ID"), ""),
    "dup-id-2.md": (case_text("SAME-id"), "2: error: id 'SAME-id' is already used by content/cases/dup-id-1.md:2"),
    "unknown-rc.md": (case_text("A-8", extra_meta="root_cause: RC-404\n"), "6: error: root cause 'RC-404' is not in root-causes.yml"),
    "unknown-field.md": (case_text("A-9", extra_meta="root_casue: RC-1\n"), "6: warning: unknown front-matter field 'root_casue'; did you mean 'root_cause'?"),
    "visibility.md": (case_text("A-10", extra_meta="visibility: secret\n"), "6: error: 'visibility' must be one of public, internal"),
    "dangling.md": (case_text("A-11", extra_meta="duplicate_of: NOPE-1\n"), "6: error: duplicate_of 'NOPE-1' names no case"),
    "cycle-a.md": (case_text("CY-A", extra_meta="duplicate_of: CY-B\n"), "6: error: duplicate_of forms a cycle (CY-A -> CY-B -> CY-A)"),
    "cycle-b.md": (case_text("CY-B", extra_meta="duplicate_of: CY-A\n"), "6: error: duplicate_of forms a cycle"),
    "latin1.md": (b"---\nid: A-12\ntitle: caf\xe9\n---\n", "3: error: file is not valid UTF-8"),
    "empty.md": ("", "1: error: file is empty"),
    "bomb.md": (BOMB, "2: error: YAML anchors and aliases"),
    "traversal.md": (case_text("../../x"), "2: error: id '../../x' must start with a letter or digit"),
    "script-id.md": (case_text("<script>"), "2: error: id '<script>' must start with a letter or digit"),
    "huge.md": (case_text("A-13", problem="log line\n" * 40_000), "1: error: file is 360,"),
    "no-solution.md": ("---\nid: A-14\ntitle: T\nproduct: P\nresolved: 2026-01-01\n---\n## Problem\nx\n", "7: error: missing section '## Solution'"),
    "unclosed-comment.md": (case_text("A-15", problem="x <!-- never closed"), "9: error: HTML comment '<!--' is never closed"),
    "secret.md": (case_text("A-16", solution="1. Log in with https://admin:hunter2pass@host.example/"), "12: error: public text holds what looks like a password inside a URL"),
    "email.md": (case_text("A-17", solution="1. Write to jane@globex.example"), "12: warning: public text holds an email address"),
    "not-dup.md": (case_text("A-18", extra_meta="tags: [x]\nnot_duplicate_of: [NOPE-2]\n"), "7: error: not_duplicate_of 'NOPE-2' names no case"),
    "numeric-id.md": (case_text("0042"), '2: error: id 0042 is read by YAML as the number 34; quote it: id: "0042"'),
    "numeric-version.md": (case_text("A-19", extra_meta="versions: [5.10, 5.2]\n"),
                           '6: error: \'versions\' item 5.10 is read by YAML as the number 5.1; quote it: "5.10"'),
    "visibilty.md": (case_text("A-20", extra_meta="visibilty: internal\n"),
                     "6: error: unknown front-matter field 'visibilty': did you mean 'visibility'? As written it is ignored, "
                     "so the case would be published as public"),
    "nested-notes.md": (case_text("A-21", solution="1. Sign out.\n\n    ## Internal notes\n    Ticket 4411\n"),
                        "14: error: 'Internal notes' is nested in a list, quote or admonition, so it would be published"),
    "fence-notes.md": (case_text("A-22", solution="```sh\nkbgen build\n```sh\n## Internal notes\nTicket 4411\n```\n"),
                       "15: error: '## Internal notes' is inside a code block that starts at line 12"),
    "tiny-customer.md": (case_text("A-23", extra_meta="customer: HP\n"), "6: warning: customer 'HP' is under 3 characters, too short"),
    "customer-wrapped.md": (case_text("A-24", resolved="2026-02-30", extra_meta="customer: Globex Corp\n", problem="Globex\nCorp saw it."),
                            "10: error: public text names the customer 'Globex Corp'"),
    "customer-in-id.md": (case_text("globex-corp-7"), "2: error: public text names the customer 'globex corp'"),
    "customer-list.md": (case_text("A-25", extra_meta="customer: [Initech, Umbrella]\n", problem="Umbrella saw it."),
                         "6: error: 'customer' must be one name, not a list"),
}

BAD_RC = "RC-1:\n  title: Old token\n  kind: defect\n  status: open\nRC-2:\n  title: X\n  kind: bug\n  status: done\n  fixed_in: 4.3\nRC-3: [list]\n"


def test_every_bad_input_is_named_with_its_line(tmp_path: Path):
    files: dict[str, str] = {}
    config = write_kb(tmp_path, files, BAD_RC)
    for name, (content, _) in BAD.items():
        path = tmp_path / "content" / "cases" / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    result = kbgen("check", "-f", str(config))
    assert result.exit_code == 1
    out = result.output
    assert "Traceback" not in out
    for name, (_, expected) in BAD.items():
        if expected:
            assert f"content/cases/{name}:{expected}" in out, f"{name}: expected '{expected}' in:\n{out}"
    assert "content/root-causes.yml:7: error: 'kind' must be one of defect" in out
    assert "content/root-causes.yml:8: error: 'status' must be one of open" in out
    assert "content/root-causes.yml:9: error: 'fixed_in' 4.3 is a number; quote it" in out
    assert "content/root-causes.yml:10: error: root cause 'RC-3' must be a mapping" in out
    # every problem of a file at once: the date error does not hide the customer name, nor the list its names
    assert "content/cases/customer-wrapped.md:5: error: 'resolved' is not a real date" in out
    assert "content/cases/customer-list.md:10: error: public text names the customer 'Umbrella'" in out


def test_build_publishes_the_good_and_lists_the_rejected(tmp_path: Path):
    config = write_kb(tmp_path, {"good.md": case_text("GOOD-1"), "bad.md": case_text("BAD-1", resolved="2026-13-01")}, GOOD_RC)
    result = kbgen("build", "-f", str(config))
    assert result.exit_code == 1
    assert (tmp_path / "site" / "kb" / "good-1" / "index.html").exists()
    assert not (tmp_path / "site" / "kb" / "bad-1").exists()
    assert "rejected  content/cases/bad.md: 'resolved' is not a real date: 2026-13-01" in result.output
    strict = kbgen("build", "--strict", "-f", str(config))
    assert strict.exit_code == 1 and "Build failed" in strict.output


def test_a_missing_cases_folder_is_named_and_the_site_still_builds(tmp_path: Path):
    config = write_kb(tmp_path, {}, root_causes=GOOD_RC)
    (tmp_path / "content" / "cases").rmdir()
    check = kbgen("check", "-f", str(config))
    assert check.exit_code == 1
    assert "content/cases:1: error: cases folder not found; create it or set the plugin's cases_dir" in check.output
    build = kbgen("build", "-f", str(config))  # used to end in an AssertionError from the render stage
    assert build.exit_code == 1, build.output
    assert "cases folder not found" in build.output
    assert "Traceback" not in build.output
    top = (tmp_path / "site" / "top-issues" / "index.html").read_text(encoding="utf-8")
    assert "No cases in the 90 days to 2026-11-20." in top
    assert (tmp_path / "site" / "about" / "index.html").exists()
