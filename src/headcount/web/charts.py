"""Charts drawn on the server as SVG (issue 12): no JavaScript build, nothing to download, and
the same page in every browser. A chart is a `<figure>`: the SVG (`role="img"`, named by its
title) and, for those who do not see it, the same figures as a table in a `<details>`.

Colours come from the page: the bars and text fill with `currentColor` (light or dark, as the
text around them), the series told apart by their opacity; static/dashboard.css gives them colours
through CSS variables, one palette per colour scheme."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from headcount.web.i18n import format_number
from headcount.web.i18n import gettext as _

# Small enough that its 14-unit texts stay readable on a 400 px screen.
WIDTH, HEIGHT = 560, 250
FONT = 14
# Room for the legend above, the y labels on the left, two lines of x labels below.
TOP, LEFT, RIGHT, BOTTOM = 34, 40, 6, 40
OPACITIES = (1.0, 0.6, 0.3)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def nice_ceiling(value: int) -> tuple[int, int]:
    """The top of the y axis for a largest value, and its step: 1, 2 or 5 times a power of
    ten, four steps or fewer."""
    if value <= 0:
        return 4, 1
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def bar_chart(ident: str, title: str, labels: Sequence[str], series: Sequence[Series],
              label_heading: str, ticks: Sequence[tuple[str, str]] | None = None) -> Markup:
    """Grouped bars: one group per label (a week), one bar per series in it. `ident` is unique
    in the page (the SVG's title and description are named by it); `label_heading` heads the
    labels' column in the data table. `ticks` are shorter labels for the axis, on two lines
    (a day, and under it the month where it changes); the labels themselves by default."""
    ticks = ticks or [(label, "") for label in labels]
    uid = escape(ident)
    top, step = nice_ceiling(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(1, len(labels))
    bar_w = group_w * 0.8 / max(1, len(series))

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" aria-labelledby="{uid}-title" '
             f'aria-describedby="{uid}-desc" fill="currentColor" font-size="{FONT}">',
             f'<title id="{uid}-title">{escape(title)}</title>',
             f'<desc id="{uid}-desc">{escape(_summary(series))}</desc>']
    for tick in range(0, top + 1, step):
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                     f'y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="currentColor" '
                     f'stroke-opacity="{0.5 if tick == 0 else 0.15}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 5:.1f}" text-anchor="end">'
                     f'{escape(format_number(tick))}</text>')
    for i, label in enumerate(labels):
        x0 = LEFT + i * group_w + group_w * 0.1
        for n, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else 0
            top_y = y(value)
            parts.append(
                f'<rect class="chart-series-{n}" x="{x0 + n * bar_w:.1f}" y="{top_y:.1f}" '
                f'width="{bar_w:.1f}" height="{TOP + plot_h - top_y:.1f}" '
                f'fill-opacity="{OPACITIES[n % len(OPACITIES)]}">'
                f'<title>{escape(s.name)}, {escape(label)}: {escape(format_number(value))}'
                f'</title></rect>')
        middle = LEFT + (i + 0.5) * group_w
        short, below = ticks[i] if i < len(ticks) else (label, "")
        parts.append(f'<text x="{middle:.1f}" y="{HEIGHT - BOTTOM + FONT + 4}" '
                     f'text-anchor="middle">{escape(short)}</text>')
        if below:
            parts.append(f'<text x="{middle:.1f}" y="{HEIGHT - 4}" text-anchor="middle">'
                         f'{escape(below)}</text>')
    x = LEFT
    for n, s in enumerate(series):
        parts.append(f'<rect class="chart-series-{n}" x="{x}" y="6" width="{FONT}" '
                     f'height="{FONT}" fill-opacity="{OPACITIES[n % len(OPACITIES)]}"/>'
                     f'<text x="{x + FONT + 5}" y="{6 + FONT - 2}">{escape(s.name)}</text>')
        x += FONT + 5 + 8 * len(s.name) + 20
    parts.append("</svg>")
    return Markup('<figure class="chart-figure">{svg}{table}</figure>').format(
        svg=Markup("".join(parts)), table=_table(title, labels, series, label_heading))


def _summary(series: Sequence[Series]) -> str:
    return "; ".join(_("%(series)s: %(total)s in all", series=s.name,
                       total=format_number(sum(s.values))) for s in series)


def _table(title: str, labels: Sequence[str], series: Sequence[Series], label_heading: str
           ) -> Markup:
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(s.name) for s in series)
    rows = Markup("").join(
        Markup('<tr><th scope="row">{}</th>{}</tr>').format(label, Markup("").join(
            Markup('<td class="number">{}</td>').format(
                format_number(s.values[i] if i < len(s.values) else 0)) for s in series))
        for i, label in enumerate(labels))
    return Markup('<details class="chart-data"><summary>{summary}</summary>'
                  '<div class="table-wrap"><table><caption>{title}</caption>'
                  '<thead><tr><th scope="col">{heading}</th>{head}</tr></thead>'
                  '<tbody>{rows}</tbody></table></div></details>').format(
        summary=_("The figures as a table"), title=title, heading=label_heading, head=head,
        rows=rows)
