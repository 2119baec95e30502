"""The top-issues Pareto chart as inline SVG, drawn at build time.

Bars for the top articles (and the rest as one "others" bar), a cumulative-share line on a
right-hand % axis. No script, no external resource; it scales to its container through its
viewBox, takes its colours from the Material theme (so it follows light and dark), and
carries a text alternative in <title>/<desc> that names every bar.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from . import words
from .models import TopIssue, TopIssues

# A narrow viewBox so text stays legible when a phone shrinks the chart to ~360 px.
WIDTH, HEIGHT = 400, 250
LEFT, RIGHT, TOP, BOTTOM = 34, 40, 22, 26
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
FONT = 12

# An inline <style> applies to the whole page, so every rule is scoped to the chart's class.
STYLE = (
    ".kb-pareto-chart text{fill:currentColor}"
    ".kb-pareto-chart .kb-bar{fill:var(--md-primary-fg-color,#4051b5)}"
    ".kb-pareto-chart .kb-bar--others{fill-opacity:.45}"
    ".kb-pareto-chart .kb-axis{stroke:currentColor;stroke-opacity:.55}"
    ".kb-pareto-chart .kb-grid{stroke:currentColor;stroke-opacity:.12}"
    ".kb-pareto-chart .kb-cumulative{fill:none;stroke:currentColor;stroke-width:2}"
    ".kb-pareto-chart .kb-point{fill:var(--md-default-bg-color,#fff);stroke:currentColor;stroke-width:2}"
)

# Characters XML 1.0 forbids (control characters, lone surrogates) would make the page unparsable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Bar:
    label: str
    name: str  # what the text alternative calls it
    cases: int
    share: float
    cumulative_share: float
    cost: float = 0.0
    others: bool = False


def pareto_svg(top: TopIssues, count: int = 5, currency: str = "", *, others: bool = True,
               id_prefix: str = "kb-pareto") -> str:
    """The first ``count`` issues as an SVG Pareto chart; ``others`` adds one bar for the rest.

    ``currency`` labels the cost in the text alternative (which shows cost only when there is one).
    ``id_prefix`` keeps ids unique if a page holds more than one chart.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    shown = top.issues[:count]
    bars = [_bar(i) for i in shown]
    rest = top.issues[count:]
    if others and rest:
        n = sum(i.cases for i in rest)
        what = f"others ({len(rest)} more article{_s(len(rest))})"
        bars.append(Bar("others", what, n, n / top.total_cases, 1.0, sum(i.cost for i in rest), others=True))
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    title, desc = _alternative(top, len(shown), bars, currency)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kb-pareto-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{_esc(title_id)} {_esc(desc_id)}" '
        f'font-family="inherit" font-size="{FONT}" fill="currentColor">',
        f'<title id="{_esc(title_id)}">{_esc(title)}</title>',
        f'<desc id="{_esc(desc_id)}">{_esc(desc)}</desc>',
        f"<style>{STYLE}</style>",
    ]
    out += _axes(bars)
    if not bars:
        out.append(f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}" text-anchor="middle">No cases in the '
                   f"{words.count(top.window_days, 'day')} to {top.as_of.isoformat()}</text>")
    else:
        out += _bars(bars)
        out += _line(bars)
    out.append("</svg>")
    # One element a line and never a blank line: Markdown keeps a raw HTML block whole only until a blank line.
    return "\n".join(out)


def _bar(issue: TopIssue) -> Bar:
    name = f"#{issue.rank} {_clean(issue.article.best.title)}"
    return Bar(str(issue.rank), name, issue.cases, issue.share, issue.cumulative_share, issue.cost)


def _alternative(top: TopIssues, shown: int, bars: Sequence[Bar], currency: str) -> tuple[str, str]:
    span = f"in the {words.count(top.window_days, 'day')} to {top.as_of.isoformat()}"
    if not bars:
        return f"Top issues: no cases {span}", f"No case was resolved {span}, so there is nothing to chart."
    title = f"Top {shown} issues of {top.total_cases} case{_s(top.total_cases)} {span}"
    parts = []
    for b in bars:
        part = f"{b.name}: {b.cases} case{_s(b.cases)} ({_pct(b.share)}), cumulative {_pct(b.cumulative_share)}"
        if b.cost > 0:
            part += f", cost {b.cost:,.0f} {currency}".rstrip()
        parts.append(part)
    desc = f"Top {shown} of {top.total_cases} case{_s(top.total_cases)}: " + "; ".join(parts) + "."
    return title, desc


def _axes(bars: Sequence[Bar]) -> list[str]:
    peak = _nice_top(max((b.cases for b in bars), default=0))
    step = _nice_step(peak / 4)
    right, bottom = LEFT + PLOT_W, TOP + PLOT_H
    out = [
        f'<text x="{LEFT}" y="{TOP - 10}" text-anchor="middle" font-size="{FONT - 1}">cases</text>',
        f'<text x="{right}" y="{TOP - 10}" text-anchor="middle" font-size="{FONT - 1}">cumulative</text>',
    ]
    tick = 0
    while tick <= peak:
        y = _y(tick / peak)
        out.append(f'<line class="kb-grid" x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="currentColor" '
                   'stroke-opacity=".12"/>')
        out.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
        tick += step
    for pct in (0, 25, 50, 75, 100):
        y = _y(pct / 100)
        out.append(f'<text x="{right + 4}" y="{y + 4:.1f}" text-anchor="start">{pct}%</text>')
    axis = 'class="kb-axis" stroke="currentColor"'
    out.append(f'<line {axis} x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>')
    out.append(f'<line {axis} x1="{right}" y1="{TOP}" x2="{right}" y2="{bottom}"/>')
    out.append(f'<line {axis} x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    return out


def _bars(bars: Sequence[Bar]) -> list[str]:
    slot = PLOT_W / len(bars)
    peak = _nice_top(max(b.cases for b in bars))
    label_size = min(FONT, max(6.0, slot / 3.8))
    out = []
    for n, b in enumerate(bars):
        height = PLOT_H * b.cases / peak
        x = LEFT + n * slot + slot * 0.15
        cls = "kb-bar kb-bar--others" if b.others else "kb-bar"
        opacity = ' fill-opacity=".45"' if b.others else ""
        tip = f"{b.name}: {b.cases} case{_s(b.cases)} ({_pct(b.share)})"
        out.append(f'<rect class="{cls}" x="{x:.1f}" y="{TOP + PLOT_H - height:.1f}" width="{slot * 0.7:.1f}" '
                   f'height="{height:.1f}" fill="#4051b5"{opacity}><title>{_esc(tip)}</title></rect>')
        out.append(f'<text x="{LEFT + (n + 0.5) * slot:.1f}" y="{TOP + PLOT_H + 15}" text-anchor="middle" '
                   f'font-size="{label_size:.1f}">{_esc(b.label)}</text>')
    return out


def _line(bars: Sequence[Bar]) -> list[str]:
    slot = PLOT_W / len(bars)
    points = [(LEFT + (n + 0.5) * slot, _y(b.cumulative_share)) for n, b in enumerate(bars)]
    out = [f'<polyline class="kb-cumulative" fill="none" stroke="currentColor" stroke-width="2" '
           f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"/>']
    for (x, y), b in zip(points, bars, strict=True):
        out.append(f'<circle class="kb-point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#fff" stroke="currentColor" '
                   f'stroke-width="2"><title>{_esc(f"cumulative {_pct(b.cumulative_share)}")}</title></circle>')
    return out


def _y(fraction: float) -> float:
    return TOP + PLOT_H * (1 - fraction)


def _nice_step(raw: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is >= ``raw``, and at least 1 (cases are whole)."""
    if raw <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(raw)))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _nice_top(peak: int) -> int:
    step = _nice_step(peak / 4)
    return max(step, math.ceil(peak / step) * step)


def _pct(share: float) -> str:
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share:.0%}"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _clean(text: str) -> str:
    return " ".join(_NOT_XML.sub("", text).split())


def _esc(text: str) -> str:
    return html.escape(_clean(text), quote=True)
