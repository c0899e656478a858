"""Pictures for the catalog website, drawn to SVG at build time with matplotlib.

Two charts per dataset version: a timeline of statements, policies, roles and
figures, and each deal's figures over time with their low–high ranges. Dates
keep their precision: a date known only to the month (``2025-06``) or year is
drawn as a shaded span over that month or year, never as a made-up day.

The SVG is byte-for-byte reproducible (fixed ``svg.hashsalt``, no date in the
metadata, no pyplot global state), so re-publishing gives identical files.
"""

from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")  # never pick an interactive backend on a build machine

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
SINGULAR = {"statements": "statement", "policies": "policy", "roles": "role", "figures": "figure"}
LANE_COLOURS = {"statements": "#0072B2", "policies": "#D55E00", "roles": "#009E73",
                "figures": "#CC79A7"}
STAGE_COLOURS = {"claimed": "#E69F00", "proposed": "#56B4E9", "agreed": "#009E73",
                 "contracted": "#0072B2", "delivered": "#D55E00"}
STAGE_MARKERS = {"claimed": "o", "proposed": "s", "agreed": "D", "contracted": "P",
                 "delivered": "*"}
RC = {
    "svg.hashsalt": "factpack",  # stable element ids
    "svg.fonttype": "path",  # glyphs as paths: the picture looks the same without the font
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class Span:
    """A partial ISO date as the days it allows: ``2025-06`` is 1–30 June 2025."""

    first: date
    last: date
    precision: str  # "day", "month" or "year"
    text: str

    @property
    def is_day(self) -> bool:
        return self.precision == "day"


def parse_partial(text: str | None) -> Span | None:
    """``2025``, ``2025-06`` or ``2025-06-06`` as a :class:`Span`; None if empty or not a date."""
    if not text:
        return None
    m = PARTIAL_DATE.match(text.strip())
    if not m:
        return None
    y, mo, d = (int(x) if x else None for x in m.groups())
    try:
        if d is not None:
            day = date(y, mo, d)
            return Span(day, day, "day", text)
        if mo is not None:
            return Span(date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]), "month", text)
        return Span(date(y, 1, 1), date(y, 12, 31), "year", text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Chart:
    """One picture: the matplotlib figure and what it shows, in words."""

    figure: Figure
    alt: str  # for the img alt attribute
    description: list[str]  # one line per drawn item, for a text equivalent under the chart

    def svg(self) -> str:
        """The picture as SVG text, identical for identical input (no date, fixed ids)."""
        buf = io.StringIO()
        with matplotlib.rc_context(RC):
            self.figure.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        return buf.getvalue()


def _num(d: date) -> float:
    return float(date2num(d))


def _span_width(s: Span) -> float:
    return _num(s.last + timedelta(days=1)) - _num(s.first)


def _short(text: str, limit: int = 46) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- timeline -------------------------------------------------------------------------------

@dataclass
class _Row:
    lane: str
    label: str
    first: Span | None  # said / signed / as of / role start
    second: Span | None  # reported / published / role end
    is_role: bool = False


LANES = (  # table, first date column, second date column, what they mean
    ("statements", "said_on", "reported_on", "said", "reported"),
    ("policies", "signed_on", "published_on", "signed", "published"),
    ("roles", "start_on", "end_on", "from", "to"),
    ("figures", "as_of", None, "as of", None),
)


def _timeline_rows(tables: dict[str, list[dict]]) -> tuple[list[_Row], dict[str, int]]:
    rows: list[_Row] = []
    undated: dict[str, int] = {}
    for lane, c1, c2, _, _ in LANES:
        for rec in tables.get(lane, []):
            a = parse_partial(rec.get(c1))
            b = parse_partial(rec.get(c2)) if c2 else None
            if a is None and b is None:
                undated[lane] = undated.get(lane, 0) + 1
                continue
            rows.append(_Row(lane, str(rec.get("id") or ""), a, b, is_role=lane == "roles"))

    def key(r: _Row):
        first = r.first or r.second
        return ([x[0] for x in LANES].index(r.lane), first.first, r.label)

    return sorted(rows, key=key), undated


def _window(rows: list[_Row]) -> tuple[date, date]:
    """The span the events cover; roles that run for years are clipped to it, not the reverse."""
    spans = [s for r in rows if not r.is_role for s in (r.first, r.second) if s]
    if not spans:
        spans = [s for r in rows for s in (r.first, r.second) if s]
    lo = min(s.first for s in spans)
    hi = max(s.last for s in spans)
    pad = max(timedelta(days=10), (hi - lo) / 20)
    return lo - pad, hi + pad


def timeline(tables: dict[str, list[dict]], title: str) -> Chart | None:
    """Statements (said, reported), policies (signed, published), roles and figures by date.

    ``tables`` maps a table name to its rows (dicts of text cells). Returns None when
    nothing has a date.
    """
    rows, undated = _timeline_rows(tables)
    if not rows:
        return None
    lo, hi = _window(rows)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(10, 1.6 + 0.26 * len(rows)), layout="constrained")
        ax = fig.add_subplot()
        lines: list[str] = []
        for y, row in enumerate(rows):
            colour = LANE_COLOURS[row.lane]
            if row.is_role:
                lines.append(_draw_role(ax, y, row, colour, lo, hi))
            else:
                lines.append(_draw_events(ax, y, row, colour))
        ax.set_yticks(range(len(rows)), [_short(r.label) for r in rows])
        for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
            tick.set_color(LANE_COLOURS[row.lane])
        ax.set_ylim(len(rows) - 0.4, -0.6)
        ax.set_xlim(_num(lo), _num(hi))
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.grid(axis="x", color="#ddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title(title, loc="left", fontsize=11)
        ax.legend(handles=_timeline_legend([r.lane for r in rows]), loc="upper center",
                  bbox_to_anchor=(0.5, -0.06 - 0.9 / (len(rows) + 4)), ncol=4, frameon=False,
                  fontsize=8)
    counts = {lane: sum(r.lane == lane for r in rows) for lane, *_ in LANES}
    what = ", ".join(_count(n, lane) for lane, n in counts.items() if n)
    days = [s for r in rows for s in (r.first, r.second) if s]
    alt = (f"Timeline of {len(rows)} dated records ({what}), "
           f"{min(s.first for s in days).isoformat()} to {max(s.last for s in days).isoformat()}. "
           "Dates known only to the month or year are drawn as shaded spans.")
    if undated:
        alt += " Not drawn, having no date: " + ", ".join(
            _count(n, lane) for lane, n in sorted(undated.items())) + "."
    return Chart(fig, alt, lines)


def _count(n: int, lane: str) -> str:
    return f"{n} {SINGULAR.get(lane, lane) if n == 1 else lane}"


def _mark(ax, y: float, s: Span, colour: str, filled: bool) -> None:
    """A day is a dot; a month or year is a shaded span over the days it allows."""
    if s.is_day:
        ax.plot(_num(s.first) + 0.5, y, marker="o", markersize=6,
                markerfacecolor=colour if filled else "white", markeredgecolor=colour,
                linestyle="none", zorder=3)
    else:
        ax.barh(y, _span_width(s), left=_num(s.first), height=0.55, color=colour,
                alpha=0.28 if filled else 0.12, edgecolor=colour, linewidth=0.8,
                hatch=None if filled else "////", zorder=2)


def _draw_events(ax, y: int, row: _Row, colour: str) -> str:
    lane = next(x for x in LANES if x[0] == row.lane)
    a, b = row.first, row.second
    if a and b and b.first > a.last:  # connect the two dates of one record, in time order
        ax.plot([_num(a.first) + 0.5, _num(b.first) + 0.5], [y, y], color=colour,
                linewidth=0.8, zorder=1)
    parts = []
    if a:
        _mark(ax, y, a, colour, filled=True)
        parts.append(f"{lane[3]} {a.text}")
    if b:
        _mark(ax, y, b, colour, filled=False)
        parts.append(f"{lane[4]} {b.text}")
    return f"{SINGULAR[row.lane].capitalize()} {row.label}: {', '.join(parts)}"


def _draw_role(ax, y: int, row: _Row, colour: str, lo: date, hi: date) -> str:
    """Solid while the post was surely held; light over a month or year the start/end lies in."""
    start, end = row.first, row.second
    sure_from = start.last + timedelta(days=1) if start and not start.is_day else (
        start.first if start else lo)
    sure_to = end.first if end else hi  # an open end runs to the chart's edge
    if sure_to > sure_from:
        ax.barh(y, _num(sure_to) - _num(sure_from), left=_num(sure_from), height=0.45,
                color=colour, alpha=0.85, zorder=2)
    for s in (start, end):
        if s and not s.is_day:
            ax.barh(y, _span_width(s), left=_num(s.first), height=0.45, color=colour,
                    alpha=0.28, edgecolor=colour, linewidth=0.6, zorder=2)
    # Say in words where the bar runs past the chart's edges (in white on the bar itself).
    start_text, end_text = (start.text if start else "start unknown"), (
        end.text if end else "still held")
    if end is not None and end.last < lo:  # held only before the chart's window
        ax.annotate(f"◀ {start_text} – {end_text}", (_num(lo), y), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=7, color=colour)
    elif start is not None and start.first > hi:  # only after it
        ax.annotate(f"{start_text} – {end_text} ▶", (_num(hi), y), xytext=(-3, 0),
                    textcoords="offset points", va="center", ha="right", fontsize=7,
                    color=colour)
    else:
        if start is None or start.first < lo:
            ax.annotate("◀ " + start_text, (_num(lo), y), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=7, color="white",
                        zorder=4)
        if end is None or end.last > hi:
            ax.annotate(end_text + " ▶", (_num(hi), y), xytext=(-3, 0),
                        textcoords="offset points", va="center", ha="right", fontsize=7,
                        color="white", zorder=4)
    return (f"Role {row.label}: from {start.text if start else 'an unknown date'} "
            f"to {end.text if end else 'now (still held)'}")


def _timeline_legend(lanes: list[str]) -> list:
    handles = []
    for lane, _, second, first_word, second_word in LANES:
        if lane not in lanes:
            continue
        c = LANE_COLOURS[lane]
        if lane == "roles":
            handles.append(Patch(color=c, alpha=0.85, label="role held"))
            continue
        handles.append(Line2D([], [], marker="o", color=c, linestyle="none",
                              label=f"{SINGULAR[lane]} {first_word}"))
        if second:
            handles.append(Line2D([], [], marker="o", color=c, markerfacecolor="white",
                                  linestyle="none", label=f"{SINGULAR[lane]} {second_word}"))
    handles.append(Patch(facecolor="#888", alpha=0.3, edgecolor="#888",
                         label="date known to the month/year only"))
    return handles


# --- figures of each deal -------------------------------------------------------------------

ALT_ITEMS = 8  # at most this many figures read out in a chart's alt text
SCALE = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))


def human_number(value: float) -> str:
    """10000000000 → '10 billion'; keeps up to three significant digits."""
    for size, word in SCALE:
        if abs(value) >= size:
            return f"{value / size:.3g} {word}"
    return f"{value:.3g}" if isinstance(value, float) and not value.is_integer() else f"{value:,.0f}"


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


def _group_label(rec: dict) -> str:
    q = rec.get("quantity") or "value"
    unit = rec.get("currency") if q == "money" else rec.get("unit")
    return f"{q} ({unit})" if unit else q


def figure_chart(deals: list[dict], figures: list[dict], title: str) -> Chart | None:
    """Each deal's figures by the date they were given, one panel per deal and quantity.

    A range (low–high, or options) is a vertical bar between its ends; a point value a
    marker; colour and marker say the stage. Figures at different stages are never summed.
    """
    deal_titles = {d.get("id"): d.get("title") or d.get("id") for d in deals}
    panels: dict[tuple[str, str], list[tuple[dict, Span]]] = {}
    undated = 0
    for rec in figures:
        s = parse_partial(rec.get("as_of"))
        if s is None:
            undated += 1
            continue
        panels.setdefault((str(rec.get("deal_id")), _group_label(rec)), []).append((rec, s))
    if not panels:
        return None
    spans = [s for items in panels.values() for _, s in items]
    lo, hi = min(s.first for s in spans), max(s.last for s in spans)
    pad = max(timedelta(days=7), (hi - lo) / 12)
    lines: list[str] = []
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(10, 0.9 + 1.9 * len(panels)), layout="constrained")
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        stages_seen: list[str] = []
        for ax, ((deal, group), items) in zip(axes, sorted(panels.items()), strict=True):
            unit = group.split("(")[-1].rstrip(")") if "(" in group else ""
            ordered = sorted(items, key=lambda x: (x[1].first, x[0].get("id") or ""))
            for i, (rec, s) in enumerate(ordered):
                stage = rec.get("stage") or "unknown"
                if stage not in stages_seen:
                    stages_seen.append(stage)
                # Alternate labels above and below so neighbours on the same day stay legible.
                lines.append(_draw_figure(ax, rec, s, stage, unit, above=i % 2 == 0))
            ax.set_title(f"{deal_titles.get(deal, deal)}: {group}", loc="left", fontsize=10)
            ax.set_ylim(bottom=0)
            ax.margins(y=0.15)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human_number(v)))
            ax.grid(axis="y", color="#ddd", linewidth=0.6)
            ax.set_axisbelow(True)
        axes[-1].set_xlim(_num(lo - pad), _num(hi + pad))
        locator = AutoDateLocator()
        axes[-1].xaxis.set_major_locator(locator)
        axes[-1].xaxis.set_major_formatter(ConciseDateFormatter(locator))
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
        fig.legend(handles=[
            Line2D([], [], marker=STAGE_MARKERS.get(s, "o"), color=STAGE_COLOURS.get(s, "#555"),
                   linestyle="none", label=s) for s in stages_seen
        ] + [Line2D([], [], color="#555", marker="_", markersize=10, label="low–high range")],
            loc="outside lower center", ncol=len(stages_seen) + 1, frameon=False, fontsize=8)
    n = sum(len(v) for v in panels.values())
    alt = (f"Chart of {n} figures over time in {len(panels)} panel"
           f"{'s' if len(panels) != 1 else ''} (one per deal and quantity), "
           f"{lo.isoformat()} to {hi.isoformat()}")
    # Read out a few figures; with many, the text under the chart lists them all.
    alt += (": " + "; ".join(lines) + ".") if len(lines) <= ALT_ITEMS else "."
    if undated:
        alt += f" Not drawn, having no date: {undated} figures."
    return Chart(fig, alt, lines)


def _draw_figure(ax, rec: dict, s: Span, stage: str, unit: str, above: bool) -> str:
    colour = STAGE_COLOURS.get(stage, "#555")
    marker = STAGE_MARKERS.get(stage, "o")
    low, high, value = _int(rec.get("value_low")), _int(rec.get("value_high")), _int(rec.get("value"))
    x = _num(s.first) + _span_width(s) / 2
    if not s.is_day:  # the date is a month or year: show the span it allows
        bottom = min(v for v in (low, high, value) if v is not None) if any(
            v is not None for v in (low, high, value)) else 0
        top = max(v for v in (low, high, value) if v is not None) if any(
            v is not None for v in (low, high, value)) else 0
        ax.bar(_num(s.first), max(top - bottom, 0), bottom=bottom, width=_span_width(s),
               align="edge", color=colour, alpha=0.2, edgecolor=colour, linewidth=0.6)
    if low is not None and high is not None:
        ax.vlines(x, low, high, color=colour, linewidth=2.2)
        ax.plot([x, x], [low, high], marker="_", markersize=12, color=colour, linestyle="none")
    if value is not None:
        ax.plot(x, value, marker=marker, markersize=8, color=colour, linestyle="none", zorder=3)
    elif low is not None and high is None:
        ax.plot(x, low, marker="^", markersize=8, color=colour, linestyle="none")  # at least
    elif high is not None and low is None:
        ax.plot(x, high, marker="v", markersize=8, color=colour, linestyle="none")  # up to
    shown = (rec.get("value_text") or (human_number(value) if value is not None else None)
             or "–".join(human_number(v) for v in (low, high) if v is not None))
    anchor = value if value is not None else (high if high is not None else low)
    if anchor is not None:
        ax.annotate(_short(shown, 30), (x, anchor), xytext=(7, 5 if above else -12),
                    textcoords="offset points", fontsize=7.5, color="#333")
    amount = ("–".join(human_number(v) for v in (low, high) if v is not None)
              if value is None else human_number(value))
    return f"{rec.get('id')}: {amount} {unit}".rstrip() + f", {stage}, as of {s.text}"
