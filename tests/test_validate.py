from __future__ import annotations

from kbgen.cache import BoundedCache
from kbgen.load import parse_yaml, read_case
from kbgen.validate import validate
from tests.kb import case_text

RC = """\
RC-1:
  title: Old token kept
  kind: defect
  status: fixed
  fixed_in: "4.3.0"
  fixed_on: 2026-04-01
RC-2:
  title: Confusing sync settings
  kind: usability
  status: open
"""


def run(files: dict[str, str], rc: str = RC, allow: tuple[str, ...] = ()):
    raws = [(path, read_case(text.encode(), path)[0]) for path, text in sorted(files.items())]
    data, lines, problems = parse_yaml(rc, "content/root-causes.yml")
    assert problems == []
    return validate(raws, data, lines, "content/root-causes.yml", allow)


def lines_of(out, path: str) -> list[str]:
    return [f"{d.line}:{d.severity}:{d.message}" for d in out.diagnostics if d.path == path]


def test_valid_case_is_typed_and_internal_notes_are_dropped():
    text = case_text("CASE-1", extra_meta='versions: ["4.2.0"]\ntags: [sync]\nhandle_minutes: 31\ncustomer: Globex\nroot_cause: RC-1\n',
                     extra_body="\n## Internal notes\nTicket 88812\n")
    out = run({"a.md": text})
    assert out.diagnostics == []
    (case,) = out.cases
    assert case.versions == ("4.2.0",) and case.handle_minutes == 31.0 and case.root_cause == "RC-1"
    assert [s.key for s in case.sections] == ["problem", "solution"]
    assert case.resolved.isoformat() == "2026-03-03"


def test_every_problem_in_a_file_is_reported_with_its_line():
    text = (
        "---\nid: ../../x\ntitle: ''\nproduct: P\nresolved: 2026-02-30\nopened: 2026-03-05\n"
        "versions: [4.10]\nhandle_minutes: -3\nvisibility: secret\nroot_casue: RC-1\n---\n\n## Problem\nx\n"
    )
    out = run({"bad.md": text})
    msgs = lines_of(out, "bad.md")
    assert any(m.startswith("2:error:") and "safe in a URL" in m for m in msgs)
    assert any(m.startswith("3:error:") and "'title' is required" in m for m in msgs)
    assert any(m.startswith("5:error:") and "not a real date" in m for m in msgs)
    assert any(m.startswith("7:error:") and 'item 4.10 is read by YAML as the number 4.1; quote it: "4.10"' in m for m in msgs)
    assert any(m.startswith("8:error:") and "handle_minutes" in m for m in msgs)
    assert any(m.startswith("9:error:") and "visibility" in m for m in msgs)
    assert any(m.startswith("10:warning:") and "did you mean 'root_cause'" in m for m in msgs)
    assert any("missing section '## Solution'" in m for m in msgs)
    assert out.cases == [] and "bad.md" in out.rejected


def test_opened_after_resolved():
    out = run({"a.md": case_text("A", extra_meta="opened: 2026-03-09\n")})
    assert any("after 'resolved'" in m for m in lines_of(out, "a.md"))


def test_duplicate_ids_ignore_case_and_name_both_files():
    out = run({"a.md": case_text("Case-7"), "b.md": case_text("CASE-7")})
    assert [c.path for c in out.cases] == ["a.md"]
    (msg,) = lines_of(out, "b.md")
    assert "a.md:2" in msg and "already used" in msg


def test_unknown_root_cause_and_dangling_references():
    out = run({
        "a.md": case_text("A", extra_meta="root_cause: RC-9\n"),
        "b.md": case_text("B", extra_meta="duplicate_of: NOPE\n"),
        "c.md": case_text("C", extra_meta="not_duplicate_of: [ZZZ]\n"),
    })
    assert any("'RC-9' is not in root-causes.yml" in m for m in lines_of(out, "a.md"))
    assert any("duplicate_of 'NOPE' names no case" in m for m in lines_of(out, "b.md"))
    assert any("not_duplicate_of 'ZZZ'" in m for m in lines_of(out, "c.md"))
    assert out.cases == []


def test_duplicate_of_cycle_rejects_every_case_in_it():
    out = run({
        "a.md": case_text("A", extra_meta="duplicate_of: B\n"),
        "b.md": case_text("B", extra_meta="duplicate_of: C\n"),
        "c.md": case_text("C", extra_meta="duplicate_of: A\n"),
        "d.md": case_text("D", extra_meta="duplicate_of: A\n"),
    })
    assert sorted(out.rejected) == ["a.md", "b.md", "c.md"]
    assert "A -> B -> C -> A" in out.rejected["a.md"]
    assert [c.id for c in out.cases] == ["D"]


def test_root_cause_rules():
    rc = "RC-1:\n  title: T\n  kind: bug\n  status: open\n  fixed_in: 4.3\nRC-2:\n  kind: defect\n  status: fixed\nRC-3: just text\n"
    out = run({}, rc)
    msgs = lines_of(out, "content/root-causes.yml")
    assert any(m.startswith("3:error:") and "'kind' must be one of" in m for m in msgs)
    assert any(m.startswith("5:error:") and "only makes sense with status 'fixed'" in m for m in msgs)
    assert any(m.startswith("5:error:") and "quote it" in m for m in msgs)
    assert any(m.startswith("6:error:") and "'title' is required" in m for m in msgs)
    assert any(m.startswith("9:error:") and "must be a mapping" in m for m in msgs)
    assert out.root_causes == {}


def test_secrets_reject_the_case_and_contacts_warn():
    body = "1. Set the key AKIAABCDEFGHIJKLMNOP in the config.\n2. Mail jane@globex.example or support@acme.example."
    out = run({"a.md": case_text("A", solution=body)}, allow=("support@acme.example",))
    msgs = lines_of(out, "a.md")
    assert any(m.startswith("12:error:") and "AWS access key" in m for m in msgs)
    assert any(m.startswith("13:warning:") and "jane@globex.example" in m for m in msgs)
    assert not any("support@acme.example" in m for m in msgs)
    assert out.cases == []


def test_secret_in_internal_notes_is_fine_and_customer_name_in_public_text_is_not():
    ok = case_text("A", extra_meta="customer: Globex Corp\n", extra_body="\n## Internal notes\nkey AKIAABCDEFGHIJKLMNOP\n")
    leak = case_text("B", problem="The sync at globex corp stops.")
    out = run({"a.md": ok, "b.md": leak})
    assert [c.id for c in out.cases] == ["A"]
    assert any("names the customer 'globex corp'" in m for m in lines_of(out, "b.md"))


def run_cached(files: dict[str, str], cache: BoundedCache, rc: str = RC):
    raws = [(path, read_case(text.encode(), path)[0]) for path, text in sorted(files.items())]
    data, lines, _ = parse_yaml(rc, "content/root-causes.yml")
    return validate(raws, data, lines, "content/root-causes.yml", (), cache)


def test_serve_rechecks_only_the_edited_file_and_reports_the_same():
    files = {f"c{n}.md": case_text(f"CASE-{n}", extra_meta="root_cause: RC-1\n") for n in range(5)}
    cache: BoundedCache = BoundedCache()
    run_cached(files, cache)
    assert cache.misses == 5
    files["c2.md"] = case_text("CASE-2", solution="1. Sign out.\n2. Write to ops@example.org.")
    out = run_cached(files, cache)
    assert (cache.hits, cache.misses) == (4, 6)  # four verdicts reused, the edited file checked again
    fresh = run(files)
    assert out.diagnostics == fresh.diagnostics and out.cases == fresh.cases
    assert any("email address" in d.message for d in out.diagnostics if d.path == "c2.md")


def test_a_customer_named_in_another_file_rechecks_unchanged_files():
    files = {"a.md": case_text("CASE-1", problem="Globex Corp sees sync stop.")}
    cache: BoundedCache = BoundedCache()
    assert run_cached(files, cache).cases  # nobody is a customer yet
    files["b.md"] = case_text("CASE-2", extra_meta="customer: Globex Corp\n")
    out = run_cached(files, cache)
    assert "a.md" in out.rejected and "Globex Corp" in out.rejected["a.md"]
    files["a.md"] = case_text("CASE-1", problem="A customer sees sync stop.")
    assert "a.md" not in run_cached(files, cache).rejected


def test_a_root_cause_removed_rechecks_the_cases_naming_it():
    files = {"a.md": case_text("CASE-1", extra_meta="root_cause: RC-2\n")}
    cache: BoundedCache = BoundedCache()
    assert run_cached(files, cache).cases
    out = run_cached(files, cache, rc=RC.split("RC-2:")[0])
    assert "RC-2" in out.rejected["a.md"]


def test_one_line_texts_the_pages_render_as_markdown_have_a_length_limit():
    """A product, component, section heading or root-cause title is one line a reader scans; the pages render it with
    Python-Markdown, which takes quadratic time over a long run of escaped characters (a section heading of 120,000
    '<' took a minute to build, a product of 60,000 forty seconds), so `check --strict` passed a case that stalled
    the build. Past 500 characters each is an error naming its line; the 300-character product of the hostile
    corpus stays fine."""
    long = "<" * 501
    files = {
        "a.md": case_text("CASE-1", product=long),
        "b.md": case_text("CASE-2", extra_meta=f"component: '{long}'\n"),
        "c.md": case_text("CASE-3", extra_body=f"\n## Extra {long}\nMore.\n"),
        "d.md": case_text("CASE-4", product="P" * 300, extra_meta="component: " + "c" * 500 + "\n"),
        "e.md": case_text("CASE-5", extra_meta="root_cause: RC-LONG\n"),
    }
    out = run(files, rc=RC + f"RC-LONG:\n  title: '{long}'\n  kind: defect\n  status: open\n")
    assert "4:error:'product' is 501 characters; keep it to 500" in lines_of(out, "a.md")
    assert "6:error:'component' is 501 characters; keep it to 500" in lines_of(out, "b.md")
    assert any(m.startswith("15:error:section heading is 507 characters; keep it to 500") for m in lines_of(out, "c.md")), lines_of(out, "c.md")
    assert any("'title' is 501 characters; keep it to 500" in d.message for d in out.diagnostics if d.path == "content/root-causes.yml")
    assert sorted(c.id for c in out.cases) == ["CASE-4"]
