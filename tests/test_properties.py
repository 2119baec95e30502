"""Property-based tests: random case files built from a grammar of nasty Markdown and front matter.

Whatever the files hold, load / validate / the pipeline / render never raise, a marker planted
only where text is private (internal notes, HTML comments, the customer field, internal cases)
never reaches the rendered site, and `check`'s verdict on each file is what the build does with
it. The runs are bounded (max_examples) so the file takes well under a minute.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbgen import pipeline, privacy, render
from kbgen.models import Result, Settings
from tests.conftest import kbgen
from tests.kb import write_kb

MARK = "PRIVMARK"
CUSTOMER = "Zorblax Quint"

WORDS = st.sampled_from(["Sync", "stops", "after", "a", "password", "change", "`401`", "*fix*", "_under_", "café", "x\u200by", "Ωmega",
                         "\u0441ode", "&amp;", "&lt;b&gt;", "\\#", "internal", "notes", "Internal server error", "[t]", "[see][t]"])
TEXT = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)

SAFE_BLOCKS = st.one_of(
    TEXT,
    TEXT.map(lambda t: f"```\n{t}\n```"),
    TEXT.map(lambda t: f"~~~sh\n{t}\n~~~"),
    TEXT.map(lambda t: f"Run ```{t}``` now"),
    TEXT.map(lambda t: f"{t}\n---"),
    TEXT.map(lambda t: f"{t}\n==="),
    st.sampled_from(["***", "---", "- - -", "## Cause", "## Environment", "# Extra", "### Sub", "##Solution"]),
    TEXT.map(lambda t: f"- {t}\n- {t}\n  1. {t}"),
    TEXT.map(lambda t: f"1. {t}\n\n    ```\n    {t}\n\n    ```"),
    TEXT.map(lambda t: f"> {t}\n> > {t}"),
    TEXT.map(lambda t: f'!!! note "{t}"\n    {t}'),
    TEXT.map(lambda t: f"<div>{t}</div>"),
    TEXT.map(lambda t: f"<details><summary>{t}</summary>\n{t}\n</details>"),
    TEXT.map(lambda t: f"<pre>\n\n{t}\n</pre>"),
    TEXT.map(lambda t: f"| a | b |\n|---|---|\n| {t} | x |"),
    TEXT.map(lambda t: f"    {t}"),
    TEXT.map(lambda t: f"See [{t}][t] or [t]."),  # resolves only against a public definition
    st.sampled_from([f"<!-- {MARK} -->", f"x <!-- {MARK}\n{MARK} --> y", f"<!--\n## Internal notes\n{MARK}\n-->"]),
)
RISKY_BLOCKS = st.one_of(
    TEXT.map(lambda t: f"```sh\n{t}\n```sh"),  # a closing fence may not carry an info string: still open
    st.sampled_from(["```", f"<!-- {MARK}", "## Problem"]),  # never closed; a section twice
    # the customer, written so that only folding finds it: these cases must be rejected
    st.sampled_from(["Zorblax Quint called", "ZORBLAX\nQUINT", "Zor**blax** Quint", "Zorbl&#97;x Quint", "\uff3aorblax Quint",
                     "Zorbl\u0430x Quint", "Zorblax\u00a0Quint", '<span title="Zorblax Quint">x</span>', "`zorblax-quint`"]),
)

TOP_PRIVATE_HEADINGS = [
    "## Internal notes", "## Internal Notes:", "Internal notes\n---", "Internal notes\n===", "# internal", "## Іntеrnаl nоtеs",
    "## Inter\u200bnal notes", "   ## Internal notes", "## INTERNAL", "## lnternal notes", "## ɪɴᴛᴇʀɴᴀʟ ɴᴏᴛᴇꜱ",
]
PRIVATE_HEADINGS = st.sampled_from([
    *TOP_PRIVATE_HEADINGS,
    # not where a section starts: errors, so the case is rejected
    "- x\n\n  ## Internal notes", "> ## Internal notes", "!!! note\n    ## Internal notes", "### Internal notes",
    "<h2>Internal notes</h2>", "**Internal notes**", "<details><summary>Internal notes</summary>",
])


def _private(p: tuple[str, str]) -> str:
    return f"{p[0]}\n{MARK} {p[1]}\nCustomer {CUSTOMER}, ticket 4411\n\n[t]: https://{MARK}.example/4411 \"{MARK}\""


PRIVATE_BLOCKS = st.tuples(PRIVATE_HEADINGS, TEXT).map(_private)
CLEAN_BLOCKS = st.lists(st.one_of(SAFE_BLOCKS, SAFE_BLOCKS, st.tuples(st.sampled_from(TOP_PRIVATE_HEADINGS), TEXT).map(_private)), max_size=8)

BLOCKS = st.lists(st.one_of(SAFE_BLOCKS, SAFE_BLOCKS, SAFE_BLOCKS, RISKY_BLOCKS, PRIVATE_BLOCKS, PRIVATE_BLOCKS), max_size=8)


def mostly(usual: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    """Usually a value that passes, sometimes one that must not: so that many random cases are published."""
    return st.one_of(st.sampled_from(usual), st.sampled_from(usual), st.sampled_from(usual), st.sampled_from(odd))


USUAL = {
    "id": ["A-1", "A-2", "A-3", "'B-7'", '"0042"'],
    "versions": ["", 'versions: ["4.10"]\n'],
    "customer": ["", f"customer: {CUSTOMER}\n", "customer: 31337\n"],
    "extra": ["", "", "tags: [2024, x]\n"],
}
ODD = {
    "id": ["a-1", "0042", "1_000", "1.10", "zorblax-quint-9"],
    "versions": ["versions: [5.10, 5.2]\n", "versions: 4.2\n", "versions: [[1]]\n"],
    "customer": [f"customer: [{CUSTOMER}, Initech]\n", "customer: HP\n"],
    "extra": ["duplicate_of: A-1\n", "duplicate_of: A-2\n", "not_duplicate_of: [NOPE]\n", "handle_minutes: 1e999\n", "opened: 2027-01-01\n", "title2: x\n"],
}
PRIVATE_FLAGS = st.sampled_from(["visibility: internal\n", "visibilty: internal\n", "Visibility: internal\n", "private: true\n",
                                 "visiblity: internal\n"])
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def case_files(draw: st.DrawFn) -> tuple[str, bool]:
    """(file text, whether the whole case is private: every text in it then carries the marker)."""
    private = draw(st.booleans()) and draw(st.integers(0, 3)) == 0
    clean = draw(st.booleans())  # half the files hold only what passes, so that many random cases are published

    def field(name: str) -> str:
        return draw(st.sampled_from(USUAL[name]) if clean else mostly(USUAL[name], ODD[name]))

    title = f"{MARK} title" if private else draw(TEXT)
    meta = f"id: {field('id')}\ntitle: {json.dumps(title)}\nproduct: Acme\nresolved: 2026-03-03\n"
    meta += field("versions") + field("customer") + field("extra") + (draw(PRIVATE_FLAGS) if private else "")
    blocks = draw(CLEAN_BLOCKS if clean else BLOCKS)
    if private:
        blocks = [f"{b}\n{MARK}" for b in blocks]
    body = "## Problem\n" + draw(TEXT) + "\n\n" + "\n\n".join(blocks[: len(blocks) // 2])
    body += "\n\n## Solution\n1. " + draw(TEXT) + "\n\n" + "\n\n".join(blocks[len(blocks) // 2 :]) + "\n"
    text = f"---\n{meta}---\n\n{body}"
    return text.replace("\n", draw(LINE_ENDS)), private


FILES = st.lists(case_files(), min_size=1, max_size=3)


def _visible(text: str) -> str:
    """Text a reader could see in a file, folded the way customer names are compared."""
    text = html.unescape(re.sub(r"<[^<>]*>", "", text))
    return " ".join(privacy.fold(text).split())


def _leaks(text: str, customer: bool = True) -> list[str]:
    found = [MARK] if MARK in text else []
    return found + (["customer"] if customer and "zorblax quint" in _visible(text).replace("-", " ") else [])


def _declares_customer(files: list[tuple[str, bool]]) -> bool:
    return any(f"customer: {CUSTOMER}" in text or f"customer: [{CUSTOMER}" in text for text, _ in files)


def _run(root: Path, files: list[tuple[str, bool]]) -> Result:
    cases = root / "cases"
    cases.mkdir(parents=True)
    for n, (text, _) in enumerate(files):
        (cases / f"c{n}.md").write_bytes(text.encode("utf-8"))
    (root / "root-causes.yml").write_text("")
    return pipeline.run(pipeline.Options(cases_dir=cases, root_causes=root / "root-causes.yml", root=root, as_of=date(2026, 11, 20)))


def _verdicts(result: Result) -> dict[str, tuple[bool, bool]]:
    """Per file: (check reports an error, the build rejects it)."""
    erred = {d.path for d in result.errors}
    return {o.path: (o.path in erred, o.status == "rejected") for o in result.outcomes}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(FILES)
def test_random_cases_never_crash_or_leak_and_check_agrees_with_the_build(files: list[tuple[str, bool]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = _run(Path(tmp), files)
    site = render.render(result, Settings())
    customer = _declares_customer(files)
    for page in site.pages:
        assert _leaks(page.html, customer) == [] and _leaks(str(page.meta), customer) == [], page.path
    for item in site.data:
        assert _leaks(item.content, customer) == [], item.path
    for path, (has_error, rejected) in _verdicts(result).items():
        assert has_error == rejected, (path, result.diagnostics)
    assert len(result.outcomes) == len(files)  # nothing is lost: every file has an outcome


def _site_texts(site: Path) -> list[tuple[str, str]]:
    out = []
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # Pagefind chunks and any gzip member
            data = gzip.decompress(data)
        out.append((str(path.relative_to(site)), data.decode("utf-8", "replace")))
    return out


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(FILES)
def test_real_builds_publish_what_check_passes(files: list[tuple[str, bool]]) -> None:
    """A few real `kbgen build`s (MkDocs + Material): no traceback, no marker in any file under site/,
    and exactly the files check passes get an article or a redirect."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = write_kb(root, {f"c{n}.md": text for n, (text, _) in enumerate(files)})
        checked = kbgen("check", "-f", str(config))
        built = kbgen("build", "-f", str(config), "--report", str(root / "report.tsv"))
        assert "Traceback" not in checked.output + built.output
        for name, text in _site_texts(root / "site"):
            assert _leaks(text, _declares_customer(files)) == [], name
        status = dict(line.split("\t")[:2] for line in (root / "report.tsv").read_text().splitlines()[1:])
        for n in range(len(files)):
            path = f"content/cases/c{n}.md"
            erred = any(line.startswith(f"{path}:") and ": error: " in line for line in checked.output.splitlines())
            assert erred == (status[path] == "rejected"), (checked.output, built.output)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
                 st.text(max_size=300).map(lambda t: f"---\nid: A-1\ntitle: T\nproduct: P\nresolved: 2026-01-01\n---\n{t}".encode("utf-8", "surrogatepass"))))
def test_any_bytes_load_and_validate_without_a_traceback(data: bytes) -> None:
    """Not only the grammar above: any bytes at all are read, and judged, without an exception."""
    from kbgen.load import read_case
    from kbgen.validate import validate

    raw, problems = read_case(data, "any.md")
    out = validate([("any.md", raw)], {}, {}, "content/root-causes.yml")
    assert raw is not None or any(p.severity == "error" for p in problems)
    assert (out.cases != []) != ("any.md" in out.rejected) or raw is None
