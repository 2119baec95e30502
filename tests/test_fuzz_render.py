"""Odd field values never crash the build (issue 10, class 6): Hypothesis writes case files and root causes with
random front matter, the whole pipeline and every render step run on them (pages, Markdown to HTML with the
sanitiser, the feed, file names), and a planted private marker never reaches the output."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kbgen import pipeline, render
from kbgen.models import Settings
from kbgen.validate import CASE_FIELDS, RC_FIELDS
from tests.kb import case_text

PLANT = "HXPLANTED"
ODD_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300) | st.sampled_from([
    "\x1b[31mred\x1b[0m", "a\x0cb", "\ufffe", "\u202eevil", "x" * 300, "P" * 260, "../..", "/", "CON", "<!--", "-->", "`", "{: #__config }",
    "<div id='__config'>", "0042", "1_000", "4.10", "1e999", ".nan", "2026-02-30", "0001-01-01", "9999-12-31", "", " ", "\t",
])
SCALARS = (ODD_TEXT | st.integers(min_value=-(10**400), max_value=10**400) | st.floats() | st.booleans() | st.none()
           | st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
VALUES = SCALARS | st.lists(SCALARS, max_size=4) | st.dictionaries(st.text(max_size=5), SCALARS, max_size=2)
OPTS = dict(extensions=["admonition", "attr_list", "footnotes", "md_in_html", "toc", "pymdownx.superfences"])


def front(fields: dict[str, object]) -> str:
    try:
        return yaml.safe_dump(fields, allow_unicode=True, default_flow_style=False, width=10_000)
    except (yaml.YAMLError, ValueError):
        return json.dumps({k: str(v) for k, v in fields.items()})  # JSON is YAML too


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.dictionaries(st.sampled_from(CASE_FIELDS), VALUES, max_size=8),
    rc_fields=st.dictionaries(st.sampled_from(RC_FIELDS), VALUES, max_size=6),
    step=ODD_TEXT,
    as_of=st.dates(min_value=date(2, 1, 1), max_value=date(9999, 12, 31)),
    window=st.integers(min_value=1, max_value=36_500),
)
def test_odd_values_never_crash_any_stage_nor_leak(fields: dict[str, object], rc_fields: dict[str, object], step: str, as_of: date, window: int):
    assume(as_of.toordinal() > 2 * window)  # earlier dates are refused with the settings (test_hostile)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cases = root / "cases"
        cases.mkdir()
        (cases / "good.md").write_text(case_text("CASE-GOOD", extra_meta="root_cause: RC-1\n"), encoding="utf-8")
        odd = {"id": "CASE-ODD", "title": "Odd", "product": "Acme", "resolved": "2026-03-03", **fields}
        body = f"## Problem\nIt broke.\n\n## Solution\n1. {step}\n2. Retry.\n\n## Internal notes\n{PLANT} private.\n"
        (cases / "odd.md").write_text(f"---\n{front(odd)}---\n\n{body}", encoding="utf-8", errors="surrogatepass")
        rc = {"title": "Cache", "kind": "defect", "status": "open", **rc_fields}
        (root / "root-causes.yml").write_text(front({"RC-1": rc}), encoding="utf-8")
        opts = pipeline.Options(cases_dir=cases, root_causes=root / "root-causes.yml", root=root, as_of=as_of, window_days=window)
        result = pipeline.run(opts)
        site = render.render(result, Settings(markdown_extensions=tuple(OPTS["extensions"])))
        for page in site.pages:
            assert all(len(part.encode()) <= 255 for part in page.path.split("/")), page.path
            assert PLANT not in page.html and PLANT not in str(page.meta)
        for item in site.data:
            assert all(len(part.encode()) <= 255 for part in item.path.split("/")), item.path
            assert PLANT not in item.content
