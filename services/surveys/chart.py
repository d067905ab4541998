"""A survey's results chart: one horizontal bar chart per question, as a PNG.

Like services/chart.py, matplotlib is imported inside the function (it is slow to
import) and drawn with Figure + FigureCanvasAgg, with no pyplot state, so it is
safe in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from services.surveys.results import Bucket

WIDTH_INCHES = 8.0
ROW_INCHES = 0.28
DPI = 100
MAX_LABEL = 28


def has_data(charts: Sequence[tuple[str, Sequence[Bucket]]]) -> bool:
    return any(b.count for _title, buckets in charts for b in buckets)


def render_survey_chart(charts: Sequence[tuple[str, Sequence[Bucket]]]) -> bytes:
    """charts: (title, buckets) per question that has a distribution."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = [(t, list(b)) for t, b in charts if b]
    height = sum(1.0 + ROW_INCHES * len(b) for _t, b in shown) or 1.0
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(
        len(shown) or 1, 1, squeeze=False, height_ratios=[len(b) + 2 for _t, b in shown] or None
    )[:, 0]
    for ax, (title, buckets) in zip(axes, shown, strict=False):
        labels = [_short(b.label) for b in buckets]
        positions = list(range(len(buckets)))
        ax.barh(positions, [b.count for b in buckets], color="#5b8def")
        ax.set_yticks(positions, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(_short(title, 70), fontsize=9, loc="left")
        ax.xaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _short(text: str, limit: int = MAX_LABEL) -> str:
    # "$" would start mathtext in a label.
    text = text.replace("$", r"\$")
    return text if len(text) <= limit else text[: limit - 1] + "…"
