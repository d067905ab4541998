"""The digest's chart: a PNG drawn with matplotlib's Agg backend.

matplotlib is imported inside ``render_chart`` only: it takes about a second to
import, and the bot should start fast and pay that only when a chart is drawn.
It uses ``Figure`` + ``FigureCanvasAgg`` directly rather than pyplot, so no
global state or GUI backend is involved and it is safe to run in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_INCHES = 8.0
HEIGHT_INCHES = 6.0
DPI = 100
MAX_TAGS = 8


@dataclass(frozen=True)
class DayPoint:
    day: date
    active_members: int
    messages: int


@dataclass(frozen=True)
class TagPoint:
    tag: str
    this_period: int
    last_period: int


@dataclass(frozen=True)
class ChartData:
    days: Sequence[DayPoint]  # the previous period then this one, oldest first
    tags: Sequence[TagPoint]
    this_label: str = "This week"
    last_label: str = "Last week"

    @property
    def has_data(self) -> bool:
        return any(p.active_members or p.messages for p in self.days) or any(
            t.this_period or t.last_period for t in self.tags
        )

    @property
    def has_activity(self) -> bool:
        return any(p.active_members or p.messages for p in self.days)


def render_chart(data: ChartData) -> bytes:
    """Daily active members and messages, and tag counts this period against the last."""
    figure = build_figure(data)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def build_figure(data: ChartData) -> Figure:
    """The chart's figure; a panel with nothing to show is left out (the caller skips
    the chart when neither has data)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    tags = list(data.tags)[:MAX_TAGS]
    if not any(t.this_period or t.last_period for t in tags):
        tags = []
    panels = int(data.has_activity) + int(bool(tags))
    rows = max(1, panels)
    height = HEIGHT_INCHES if rows == 2 else HEIGHT_INCHES / 2
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = list(figure.subplots(rows, 1, squeeze=False)[:, 0])

    if data.has_activity:
        _activity_panel(axes.pop(0), data)

    if tags:
        chart = axes.pop(0)
        width = 0.4
        x = list(range(len(tags)))
        chart.bar(
            [i - width / 2 for i in x],
            [t.last_period for t in tags],
            width,
            color="#bbbbbb",
            label=data.last_label,
        )
        chart.bar(
            [i + width / 2 for i in x],
            [t.this_period for t in tags],
            width,
            color="#5b8def",
            label=data.this_label,
        )
        # "$" would start mathtext in a label.
        chart.set_xticks(x, [t.tag.replace("$", r"\$") for t in tags], rotation=20, fontsize=8)
        chart.set_ylim(bottom=0)
        chart.yaxis.set_major_locator(MaxNLocator(integer=True))
        chart.set_title("Feedback by tag")
        chart.legend(fontsize=8)

    if not panels:
        only = axes.pop(0)
        only.axis("off")
        only.text(0.5, 0.5, "Nothing to chart in these two periods", ha="center", va="center")

    figure.tight_layout()
    return figure


def _activity_panel(activity: Any, data: ChartData) -> None:
    from matplotlib.ticker import MaxNLocator

    labels = [p.day.strftime("%d %b") for p in data.days]
    positions = list(range(len(data.days)))
    activity.bar(positions, [p.messages for p in data.days], color="#9bb7e0", label="Messages")
    activity.set_ylabel("Messages")
    members = activity.twinx()
    members.plot(
        positions,
        [p.active_members for p in data.days],
        color="#d9534f",
        marker="o",
        label="Active members",
    )
    members.set_ylabel("Active members")
    # Counts start at 0 and go in whole steps, with at least one step shown.
    for axis, values in (
        (activity, [p.messages for p in data.days]),
        (members, [p.active_members for p in data.days]),
    ):
        axis.set_ylim(0, max([1, *values]) * 1.1)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    step = max(1, len(positions) // 14)
    activity.set_xticks(positions[::step], labels[::step], rotation=45, fontsize=8)
    half = len(positions) / 2 - 0.5
    if len(positions) >= 2:
        # The dashed line separates the previous period from this one.
        activity.axvline(half, color="#888888", linestyle="--", linewidth=1)
    activity.set_title("Daily activity")
    handles = activity.get_legend_handles_labels()[0] + members.get_legend_handles_labels()[0]
    activity.legend(handles=handles, loc="upper left", fontsize=8)
