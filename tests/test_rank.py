"""rank(): every number below was worked out by hand from the fixture, not by running the code."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from kbgen.models import Article, Case, RootCause
from kbgen.rank import change_p_value, issues_to_json, rank, trend, window

AS_OF = date(2026, 6, 30)
WINDOW = 30  # window 2026-06-01..2026-06-30; previous window 2026-05-02..2026-05-31
RATE = 45.0

OPEN = RootCause("RC-OPEN", "Sync gives up on proxies", "usability", "open")
WONT = RootCause("RC-WONT", "Legacy export format", "by-design", "wont-fix", tracker="https://t.example/W-1")
RECUR = RootCause("RC-RECUR", "Token cache survives a password change", "defect", "fixed",
                  tracker="https://t.example/ACME-2231", fixed_in="4.3.0", fixed_on=date(2026, 6, 10))
STOPPED = RootCause("RC-STOP", "Installer leaves a stale service", "defect", "fixed", fixed_in="4.2.9",
                    fixed_on=date(2026, 6, 5))


def case(cid: str, resolved: date, minutes: float = 0.0, customer: str | None = None) -> Case:
    return Case(id=cid, title=f"title of {cid}", product="Acme Sync", resolved=resolved, path=f"content/cases/{cid}.md",
                sections=(), handle_minutes=minutes, customer=customer)


def article(cases: list[Case], rc: RootCause | None) -> Article:
    return Article(canonical=cases[0], best=cases[0], cases=tuple(cases), root_cause=rc)


D = date

ALPHA = article([  # 4 in window: both edges of the window plus two inside
    case("KB-ALPHA", D(2026, 6, 1), 10, "Globex"),        # first day of the window
    case("alpha-2", D(2026, 6, 15), 20, " globex "),      # the same customer, spelt differently
    case("alpha-3", D(2026, 6, 20), 30, "Initech"),
    case("alpha-4", D(2026, 6, 30), 40, ""),              # last day (as_of); blank customer counts as none
    case("alpha-5", D(2026, 5, 31), 1000, "Umbrella"),    # one day before the window: previous window
    case("alpha-6", D(2026, 7, 1), 1000, "Umbrella"),     # one day after as_of: ignored everywhere
], OPEN)
BRAVO = article([  # 3 in window, 60 minutes; previous 3
    case("kb-bravo", D(2026, 6, 3), 20),
    case("bravo-2", D(2026, 6, 4), 20),
    case("bravo-3", D(2026, 6, 5), 20),
    case("bravo-4", D(2026, 5, 2), 5),   # first day of the previous window
    case("bravo-5", D(2026, 5, 10), 5),
    case("bravo-6", D(2026, 5, 20), 5),
    case("bravo-7", D(2026, 5, 1), 5),   # one day before the previous window
], OPEN)
CHARLIE = article([  # 3 in window like BRAVO but 90 minutes, so it ranks above it despite its later id
    case("KB-Charlie", D(2026, 6, 7), 30, "Acme"),
    case("charlie-2", D(2026, 6, 8), 30, "Acme"),
    case("charlie-3", D(2026, 6, 9), 30, "Hooli"),
    *(case(f"charlie-p{d}", D(2026, 5, d), 1) for d in range(5, 10)),  # 5 in the previous window
], WONT)
DELTA = article([  # 2 in window, 30 minutes, both after RC-RECUR's fix on 2026-06-10
    case("kb-delta", D(2026, 6, 12), 15, "Globex"),
    case("delta-2", D(2026, 6, 20), 15, "Initech"),
    case("delta-3", D(2026, 3, 1), 15),  # long before both windows
], RECUR)
ECHO = article([  # 2 in window, 30 minutes: ties DELTA on both, "kb-delta" < "kb-echo" ignoring case
    case("KB-Echo", D(2026, 6, 2), 10, "Acme"),
    case("echo-2", D(2026, 6, 5), 20, "acme"),  # on RC-STOP's fixed_on: not after it
    case("echo-3", D(2026, 7, 3), 20),          # after the fix but after as_of: not counted, no flag
    case("echo-4", D(2026, 5, 15), 20),         # previous window
], STOPPED)
FOXTROT = article([case("KB-FOXTROT", D(2026, 6, 25), 0, "Stark")], None)
GOLF = article([case("KB-GOLF", D(2026, 5, 31), 10), case("golf-2", D(2026, 7, 1), 10)], None)  # nothing in window

ALL = [GOLF, ECHO, FOXTROT, BRAVO, DELTA, ALPHA, CHARLIE]

# total in window = 4 + 3 + 3 + 2 + 2 + 1 = 15
EXPECTED = [
    # rank, id, cases, share, cumulative, customers, hours, cost, previous, trend, flags
    # Trends: a rise or fall only when an exact binomial test says p < 0.05; these small counts never do.
    (1, "KB-ALPHA", 4, 0.2667, 0.2667, 2, 1.67, 75.0, 1, "flat", []),  # 4/15; (10+20+30+40)/60 = 1.667 h * 45 = 75
    # 4 vs 1: p = 2 * (C(5,0) + C(5,1)) / 2^5 = 2 * 6/32 = 0.375
    (2, "KB-Charlie", 3, 0.2, 0.4667, 2, 1.5, 67.5, 5, "flat", []),  # 3/15; cum 7/15; 90/60 = 1.5 h * 45 = 67.5
    # 3 vs 5: p = 2 * (1 + 8 + 28 + 56) / 256 = 0.727
    (3, "kb-bravo", 3, 0.2, 0.6667, 0, 1.0, 45.0, 3, "flat", []),  # cum 10/15; 60/60 = 1 h; no customers given
    (4, "kb-delta", 2, 0.1333, 0.8, 2, 0.5, 22.5, 0, "flat", ["fixed-but-recurring"]),  # 2/15; cum 12/15
    # 2 vs 0 is not "new": delta-3 came in March; p = 2 * 1/4 = 0.5
    (5, "KB-Echo", 2, 0.1333, 0.9333, 1, 0.5, 22.5, 1, "flat", []),  # cum 14/15; Acme = acme
    (6, "KB-FOXTROT", 1, 0.0667, 1.0, 1, 0.0, 0.0, 0, "new", ["no-root-cause"]),  # 1/15; cum 15/15; its only case
]


def test_window_includes_both_ends() -> None:
    assert window(AS_OF, WINDOW) == (D(2026, 6, 1), D(2026, 6, 30))
    assert window(AS_OF, 1) == (AS_OF, AS_OF)
    with pytest.raises(ValueError):
        window(AS_OF, 0)


def test_ranking_matches_hand_computation() -> None:
    top = rank(ALL, AS_OF, WINDOW, RATE)
    assert (top.as_of, top.window_days, top.total_cases) == (AS_OF, WINDOW, 15)
    got = [
        (i.rank, i.article.id, i.cases, round(i.share, 4), round(i.cumulative_share, 4), i.customers,
         round(i.agent_hours, 2), round(i.cost, 2), i.previous_cases, trend(i), list(i.flags))
        for i in top.issues
    ]
    assert got == EXPECTED
    assert top.issues[-1].cumulative_share == 1.0  # exact, not 0.9999...


def test_input_order_does_not_matter() -> None:
    assert rank(list(reversed(ALL)), AS_OF, WINDOW, RATE) == rank(ALL, AS_OF, WINDOW, RATE)


def test_json_is_the_contract_object() -> None:
    data = issues_to_json(rank(ALL, AS_OF, WINDOW, RATE), "https://kb.example.com/")
    assert list(data) == ["as_of", "window_days", "total_cases", "issues"]
    assert (data["as_of"], data["window_days"], data["total_cases"]) == ("2026-06-30", 30, 15)
    issues = data["issues"]
    assert isinstance(issues, list)
    assert [(i["rank"], i["article"], i["cases"], i["share"], i["cumulative_share"], i["customers"], i["agent_hours"],
             i["cost"], i["previous_cases"], i["trend"], i["flags"]) for i in issues] == EXPECTED
    assert issues[3] == {
        "rank": 4,
        "article": "kb-delta",
        "title": "title of kb-delta",
        "url": "https://kb.example.com/kb/kb-delta/",
        "cases": 2,
        "share": 0.1333,
        "cumulative_share": 0.8,
        "customers": 2,
        "agent_hours": 0.5,
        "cost": 22.5,
        "previous_cases": 0,
        "trend": "flat",
        "trend_significant": False,
        "median_days_to_resolve": None,
        "root_cause": {
            "id": "RC-RECUR", "title": "Token cache survives a password change", "kind": "defect", "status": "fixed",
            "tracker": "https://t.example/ACME-2231", "fixed_in": "4.3.0", "fixed_on": "2026-06-10",
        },
        "flags": ["fixed-but-recurring"],
    }
    assert list(issues[0]) == ["rank", "article", "title", "url", "cases", "share", "cumulative_share", "customers",
                               "agent_hours", "cost", "previous_cases", "trend", "trend_significant",
                               "median_days_to_resolve", "root_cause", "flags"]
    assert issues[5]["root_cause"] is None
    assert issues[4]["url"] == "https://kb.example.com/kb/kb-echo/"


def test_json_never_holds_customer_names() -> None:
    text = json.dumps(issues_to_json(rank(ALL, AS_OF, WINDOW, RATE)))
    for name in ("Globex", "globex", "Initech", "Umbrella", "Secret", "Acme", "Hooli", "Stark"):
        assert name not in text


def _urls(data: dict[str, object]) -> list[object]:
    issues = data["issues"]
    assert isinstance(issues, list)
    return [i["url"] for i in issues]


def test_json_url_is_relative_without_base_and_gains_a_slash() -> None:
    top = rank([FOXTROT], AS_OF, WINDOW)
    assert _urls(issues_to_json(top)) == ["kb/kb-foxtrot/"]
    assert _urls(issues_to_json(top, "https://x.example/kb-site")) == ["https://x.example/kb-site/kb/kb-foxtrot/"]


def test_default_window_is_90_days() -> None:
    # 2026-06-30 minus 89 days is 2026-04-02: in; 2026-04-01: out (previous window)
    a = article([case("A", D(2026, 4, 2)), case("a-2", D(2026, 4, 1))], None)
    top = rank([a], AS_OF)
    assert (top.window_days, top.total_cases, top.issues[0].previous_cases) == (90, 1, 1)
    assert top.issues[0].cost == 0.0  # no hourly rate, no cost


def test_nothing_in_the_window() -> None:
    top = rank([GOLF], AS_OF, WINDOW, RATE)
    assert (top.total_cases, top.issues) == (0, ())
    assert issues_to_json(top) == {"as_of": "2026-06-30", "window_days": 30, "total_cases": 0, "issues": []}
    assert rank([], AS_OF).issues == ()


def test_fixed_but_recurring_needs_status_fixed_and_a_date() -> None:
    # fixed on 2026-05-01; cases on 2026-05-20 and 2026-06-03 came after it
    rc = RootCause("RC-X", "x", "defect", "fixed", fixed_on=D(2026, 5, 1))
    a = article([case("X", D(2026, 6, 3)), case("x-2", D(2026, 5, 20))], rc)
    assert rank([a], AS_OF, WINDOW).issues[0].flags == ("fixed-but-recurring",)
    # status not fixed, or fixed without a date: no flag
    for other in (RootCause("RC-Y", "y", "defect", "open"), RootCause("RC-Z", "z", "defect", "fixed")):
        b = article([case("Y", D(2026, 6, 3))], other)
        assert rank([b], AS_OF, WINDOW).issues[0].flags == ()


def test_a_trend_is_a_rise_or_fall_only_when_unlikely_to_be_chance() -> None:
    # 12 cases in June against 2 in May: p = 2 * (C(14,0) + C(14,1) + C(14,2)) / 2^14 = 2 * 106/16384 = 0.0129
    rising = article([case("RISE", D(2026, 4, 1)), *(case(f"r-{d}", D(2026, 6, d)) for d in range(1, 13)),
                      case("r-p1", D(2026, 5, 10)), case("r-p2", D(2026, 5, 11))], None)
    # 2 against 12: the same p, the other way
    falling = article([case("FALL", D(2026, 4, 1)), *(case(f"f-p{d}", D(2026, 5, d + 2)) for d in range(1, 13)),
                       case("f-1", D(2026, 6, 10)), case("f-2", D(2026, 6, 11))], None)
    # 5 against 1: p = 2 * (1 + 6) / 64 = 0.219, looks like a rise but is not clear
    unclear = article([case("UNCLEAR", D(2026, 4, 1)), *(case(f"u-{d}", D(2026, 6, d)) for d in range(1, 6)),
                       case("u-p1", D(2026, 5, 10))], None)
    issues = {i.article.id: i for i in rank([rising, falling, unclear], AS_OF, WINDOW).issues}
    assert round(issues["RISE"].p_value, 4) == 0.0129 and trend(issues["RISE"]) == "up"
    assert round(issues["FALL"].p_value, 4) == 0.0129 and trend(issues["FALL"]) == "down"
    assert round(issues["UNCLEAR"].p_value, 3) == 0.219 and trend(issues["UNCLEAR"]) == "flat"
    assert [i.trend_significant for i in (issues["RISE"], issues["FALL"], issues["UNCLEAR"])] == [True, True, False]


def test_change_p_value_edges() -> None:
    assert change_p_value(0, 0) == 1.0
    assert change_p_value(3, 3) == 1.0  # 2 * P(X <= 3 | n = 6) = 2 * 42/64 > 1: capped
    assert change_p_value(5, 0) == 2 / 32  # 0.0625: five new cases against none is still not clear
    assert change_p_value(6, 0) == 2 / 64  # 0.03125: six is
    assert change_p_value(400, 300) < 0.001  # large counts stay exact and fast


def test_median_days_to_resolve_uses_cases_with_opened_only() -> None:
    cases = [
        Case(id="M1", title="t", product="p", resolved=D(2026, 6, 10), path="m1.md", sections=(), opened=D(2026, 6, 9)),  # 1 day
        Case(id="m-2", title="t", product="p", resolved=D(2026, 6, 12), path="m2.md", sections=(), opened=D(2026, 6, 2)),  # 10
        Case(id="m-3", title="t", product="p", resolved=D(2026, 6, 20), path="m3.md", sections=(), opened=D(2026, 6, 16)),  # 4
        Case(id="m-4", title="t", product="p", resolved=D(2026, 6, 21), path="m4.md", sections=()),  # no opened: left out
    ]
    top = rank([article(cases, None)], AS_OF, WINDOW)
    assert top.issues[0].median_days_to_resolve == 4.0  # median of 1, 4, 10
    assert rank([FOXTROT], AS_OF, WINDOW).issues[0].median_days_to_resolve is None


def test_internal_cases_count_only_in_the_team_edition() -> None:
    # The team's edition's articles hold internal cases too (pipeline.team_groups): ALPHA plus one
    internal = replace(case("alpha-7", D(2026, 6, 10), 500, "Secret"), visibility="internal")
    team_alpha = replace(ALPHA, cases=(*ALPHA.cases, internal))
    public = rank([team_alpha], AS_OF, WINDOW, RATE).issues[0]
    team = rank([team_alpha], AS_OF, WINDOW, RATE, include_internal=True).issues[0]
    assert (public.cases, team.cases) == (4, 5)  # alpha-7 is internal
    assert (public.customers, team.customers) == (2, 3)  # Globex, Initech; + Secret
    assert team.agent_hours == (100 + 500) / 60


def test_public_json_can_leave_out_team_fields() -> None:
    data = issues_to_json(rank(ALL, AS_OF, WINDOW, RATE), team_fields=False)
    issues = data["issues"]
    assert isinstance(issues, list)
    for issue in issues:
        assert not {"customers", "agent_hours", "cost"} & set(issue)
        assert {"cases", "share", "trend", "trend_significant", "median_days_to_resolve"} <= set(issue)
