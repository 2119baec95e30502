"""link(): groups -> articles with one root cause each, the same whatever the input order."""

from __future__ import annotations

import itertools
from datetime import date

from kbgen.link import link
from kbgen.models import Case, Group, RootCause

RCS = {
    "RC-1": RootCause("RC-1", "Old token kept", "defect", "fixed", fixed_on=date(2026, 4, 1)),
    "RC-2": RootCause("RC-2", "Proxy not detected", "usability", "open"),
    "rc-0": RootCause("rc-0", "Docs say the wrong port", "documentation", "open"),
}


def case(cid: str, resolved: date, rc: str | None = None, line: int = 2) -> Case:
    return Case(id=cid, title=f"title of {cid}", product="Acme", resolved=resolved, path=f"content/cases/{cid}.md",
                sections=(), root_cause=rc, line=line)


def by_id(*cases: Case) -> dict[str, Case]:
    return {c.id: c for c in cases}


def test_one_article_per_group_canonical_first_then_by_date_and_id() -> None:
    cases = by_id(
        case("C-9", date(2026, 3, 5)),
        case("c-3", date(2026, 3, 1)),
        case("B-2", date(2026, 3, 1)),   # same day as c-3: "b-2" < "c-3"
        case("a-7", date(2026, 2, 1)),   # oldest, but not canonical
        case("solo", date(2026, 1, 1)),
    )
    groups = [
        Group(canonical="C-9", best="c-3", members=("C-9", "c-3", "a-7", "B-2"), score=87.5),
        Group(canonical="solo", best="solo", members=("solo",), score=100.0),
    ]
    articles, diagnostics = link(groups, cases, RCS)
    assert diagnostics == []
    assert [a.id for a in articles] == ["C-9", "solo"]  # sorted by canonical id ignoring case
    art = articles[0]
    assert [c.id for c in art.cases] == ["C-9", "a-7", "B-2", "c-3"]
    assert (art.canonical.id, art.best.id, art.score, art.root_cause) == ("C-9", "c-3", 87.5, None)
    assert art.merged_ids == ("a-7", "B-2", "c-3")
    assert [c.id for c in articles[1].cases] == ["solo"]


def test_articles_sorted_by_lower_case_canonical_id() -> None:
    cases = by_id(case("beta", date(2026, 1, 1)), case("Alpha", date(2026, 1, 1)), case("CHARLIE", date(2026, 1, 1)))
    groups = [Group(c, c, (c,), 100.0) for c in ("CHARLIE", "beta", "Alpha")]
    assert [a.id for a in link(groups, cases, RCS)[0]] == ["Alpha", "beta", "CHARLIE"]


def test_agreeing_cases_and_cases_without_a_root_cause_do_not_conflict() -> None:
    cases = by_id(case("A", date(2026, 1, 1)), case("B", date(2026, 1, 2), "RC-2"), case("C", date(2026, 1, 3), "RC-2"))
    articles, diagnostics = link([Group("A", "A", ("A", "B", "C"), 90.0)], cases, RCS)
    assert diagnostics == []
    assert articles[0].root_cause == RCS["RC-2"]


def test_unknown_root_cause_key_is_skipped() -> None:
    # validation already reported it; it neither becomes the root cause nor conflicts
    cases = by_id(case("A", date(2026, 1, 1), "RC-404"), case("B", date(2026, 1, 2), "RC-1"))
    articles, diagnostics = link([Group("A", "A", ("A", "B"), 90.0)], cases, RCS)
    assert (articles[0].root_cause, diagnostics) == (RCS["RC-1"], [])
    articles, diagnostics = link([Group("A", "A", ("A",), 100.0)], by_id(case("A", date(2026, 1, 1), "RC-404")), RCS)
    assert (articles[0].root_cause, diagnostics) == (None, [])


def test_conflict_canonical_wins_with_a_warning_at_each_disagreeing_case() -> None:
    cases = by_id(
        case("CAN", date(2026, 3, 1), "RC-1", line=2),
        case("x", date(2026, 3, 2), "RC-2", line=3),
        case("y", date(2026, 3, 3), "RC-2", line=4),
        case("z", date(2026, 3, 4), None),
    )
    articles, diagnostics = link([Group("CAN", "x", ("CAN", "x", "y", "z"), 80.0)], cases, RCS)
    assert articles[0].root_cause == RCS["RC-1"]  # canonical's, though RC-2 is named by more cases
    assert [(d.path, d.line, d.severity) for d in diagnostics] == [
        ("content/cases/x.md", 3, "warning"),
        ("content/cases/y.md", 4, "warning"),
    ]
    message = diagnostics[0].message
    assert "RC-2" in message and "RC-1" in message and "'CAN'" in message and "canonical" in message


def test_conflict_without_canonical_root_cause_majority_then_id() -> None:
    # canonical names none: RC-2 twice beats RC-1 once
    cases = by_id(case("K", date(2026, 1, 1)), case("a", date(2026, 1, 2), "RC-1"),
                  case("b", date(2026, 1, 3), "RC-2"), case("c", date(2026, 1, 4), "RC-2"))
    articles, diagnostics = link([Group("K", "K", ("K", "a", "b", "c"), 70.0)], cases, RCS)
    assert articles[0].root_cause == RCS["RC-2"]
    assert [(d.path, d.severity) for d in diagnostics] == [("content/cases/a.md", "warning")]
    assert "named by 2 cases" in diagnostics[0].message
    # one each: the lowest key ignoring case wins ("rc-0" < "rc-1")
    cases = by_id(case("K", date(2026, 1, 1)), case("a", date(2026, 1, 2), "RC-1"), case("b", date(2026, 1, 3), "rc-0"))
    articles, diagnostics = link([Group("K", "K", ("K", "a", "b"), 70.0)], cases, RCS)
    assert articles[0].root_cause == RCS["rc-0"]
    assert [d.path for d in diagnostics] == ["content/cases/a.md"]


def test_choice_and_warnings_do_not_depend_on_input_order() -> None:
    cases = [case("K", date(2026, 1, 1)), case("a", date(2026, 1, 2), "RC-1"), case("b", date(2026, 1, 2), "RC-2"),
             case("c", date(2026, 1, 3), "rc-0"), case("d", date(2026, 1, 3))]
    other = case("Z", date(2026, 1, 1), "RC-2")
    results = set()
    for perm in itertools.permutations(["K", "a", "b", "c", "d"]):
        groups = [Group("K", "K", perm, 70.0), Group("Z", "Z", ("Z",), 100.0)]
        articles, diagnostics = link(groups if perm[0] < "b" else groups[::-1], by_id(other, *reversed(cases)), RCS)
        results.add((tuple((a.id, tuple(c.id for c in a.cases), a.root_cause) for a in articles), tuple(diagnostics)))
    assert len(results) == 1
    ((arts, warnings),) = results
    assert [(a[0], a[2].id if a[2] else None) for a in arts] == [("K", "rc-0"), ("Z", "RC-2")]
    assert arts[0][1] == ("K", "a", "b", "c", "d")
    assert [d.path for d in warnings] == ["content/cases/a.md", "content/cases/b.md"]
