"""pareto_svg(): well-formed, accessible, escaped, self-contained SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from kbgen.chart import pareto_svg
from kbgen.models import Article, Case, TopIssues
from kbgen.rank import rank

NS = "{http://www.w3.org/2000/svg}"
AS_OF = date(2026, 6, 30)
EVIL = 'Crash when the name has <script>alert("x")</script> & \'quotes\'\x00\x0b'


def article(cid: str, title: str, n: int, minutes: float = 0.0) -> Article:
    cases = tuple(
        Case(id=f"{cid}-{i}" if i else cid, title=title, product="Acme", resolved=date(2026, 6, 1 + i),
             path=f"{cid}-{i}.md", sections=(), handle_minutes=minutes)
        for i in range(n)
    )
    return Article(canonical=cases[0], best=cases[0], cases=cases)


# 7 articles, 6 + 5 + 4 + 3 + 2 + 1 + 1 = 22 cases in the window
ARTICLES = [article("A", EVIL, 6, 30), article("B", "Sync stops", 5), article("C", "Login loops", 4),
            article("D", "Export fails", 3), article("E", "Printer gone", 2), article("F", "Slow start", 1),
            article("G", "Dark mode glitch", 1)]
TOP = rank(ARTICLES, AS_OF, 90, 60.0)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def alternative(root: ET.Element) -> tuple[str, str]:
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and desc is not None
    return title.text or "", desc.text or ""


def test_valid_accessible_responsive_svg() -> None:
    svg = pareto_svg(TOP)
    root = parse(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 400 250"
    assert root.get("width") == "100%" and root.get("height") is None
    labelled = (root.get("aria-labelledby") or "").split()
    assert [root.find(f"{NS}title"), root.find(f"{NS}desc")] == [root.find(f".//*[@id='{i}']") for i in labelled]
    assert "\n\n" not in svg  # a blank line would end Markdown's raw HTML block
    assert "var(--md-primary-fg-color, #4051b5)".replace(" ", "") in svg


def test_no_script_and_no_external_resources() -> None:
    svg = pareto_svg(TOP)
    tags = {el.tag.removeprefix(NS) for el in parse(svg).iter()}
    assert tags <= {"svg", "title", "desc", "style", "text", "line", "rect", "polyline", "circle"}
    assert "<script" not in svg and "href" not in svg and "url(" not in svg and "@import" not in svg
    assert not re.search(r"\son[a-z]+=", svg)  # no event handlers


def test_titles_are_escaped() -> None:
    svg = pareto_svg(TOP)
    assert "<script>" not in svg and 'alert("x")' not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in svg
    _, desc = alternative(parse(svg))
    assert "#1 Crash when the name has <script>alert(\"x\")</script> & 'quotes': 6 cases" in desc  # round-trips


def test_one_bar_per_issue_labelled_by_rank_plus_others() -> None:
    root = parse(pareto_svg(TOP, count=5))
    bars = root.findall(f"{NS}rect")
    assert len(bars) == 6
    labels = [t.text for t in root.findall(f"{NS}text")]
    assert labels[-6:] == ["1", "2", "3", "4", "5", "others"]
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[0] > heights[1] > heights[2] > heights[3] > heights[4] and heights[4] == heights[5]  # 2 vs 1+1
    assert len(root.findall(f"{NS}circle")) == 6 and root.find(f"{NS}polyline") is not None
    assert [t.text for t in root.findall(f"{NS}text") if (t.text or "").endswith("%")] == ["0%", "25%", "50%", "75%", "100%"]


def test_text_alternative_mentions_every_bar() -> None:
    title, desc = alternative(parse(pareto_svg(TOP, count=5, currency="EUR")))
    assert title == "Top 5 issues of 22 cases in the 90 days to 2026-06-30"
    # shares: 6/22 = 27%, 5/22 = 23% (cum 11/22 = 50%), 4/22 = 18% (cum 15/22 = 68%),
    # 3/22 = 14% (cum 18/22 = 82%), 2/22 = 9% (cum 20/22 = 91%), others 2/22 = 9% (cum 100%)
    assert desc.startswith("Top 5 of 22 cases: #1 Crash when the name has")
    assert "6 cases (27%), cumulative 27%, cost 180 EUR;" in desc  # 6 cases * 30 min = 3 h * 60 = 180
    for part in ("#2 Sync stops: 5 cases (23%), cumulative 50%", "#3 Login loops: 4 cases (18%), cumulative 68%",
                 "#4 Export fails: 3 cases (14%), cumulative 82%", "#5 Printer gone: 2 cases (9%), cumulative 91%",
                 "others (2 more articles): 2 cases (9%), cumulative 100%."):
        assert part in desc
    assert "Slow start" not in desc  # folded into "others"


def test_without_others_and_fewer_issues_than_count() -> None:
    root = parse(pareto_svg(TOP, count=2, others=False))
    assert len(root.findall(f"{NS}rect")) == 2
    assert "others" not in alternative(root)[1]
    small = rank(ARTICLES[1:3], AS_OF, 90)
    root = parse(pareto_svg(small, count=5))
    assert len(root.findall(f"{NS}rect")) == 2
    title, desc = alternative(root)
    assert title.startswith("Top 2 issues of 9 cases")
    assert desc == ("Top 2 of 9 cases: #1 Sync stops: 5 cases (56%), cumulative 56%; "
                    "#2 Login loops: 4 cases (44%), cumulative 100%.")


def test_empty_window() -> None:
    empty = TopIssues(AS_OF, 90, 0, ())
    root = parse(pareto_svg(empty))
    assert root.findall(f"{NS}rect") == []
    assert alternative(root) == ("Top issues: no cases in the 90 days to 2026-06-30",
                                 "No case was resolved in the 90 days to 2026-06-30, so there is nothing to chart.")


def test_id_prefix_and_count_validation() -> None:
    root = parse(pareto_svg(TOP, id_prefix="second"))
    assert root.get("aria-labelledby") == "second-title second-desc"
    with pytest.raises(ValueError):
        pareto_svg(TOP, count=0)


def test_large_counts_keep_a_sane_axis() -> None:
    big = rank([article("A", "Big", 27), article("B", "Small", 3)], date(2026, 7, 31), 90)
    root = parse(pareto_svg(big))
    ticks = [t.text for t in root.findall(f"{NS}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "10", "20", "30"]  # 27 / 4 = 6.75 -> step 10, top 30
