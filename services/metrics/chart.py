"""The retention heat-map (PNG) and its CSV, each one pure function returning bytes.

Both take plain rows and return bytes, so drawing can move to a worker process
without touching the service. matplotlib is imported inside the function (it takes
about a second), and Figure + FigureCanvasAgg are used without pyplot, so no global
state is involved.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from services.metrics.figures import RetentionRow

DPI = 100


def retention_csv(rows: Sequence[RetentionRow]) -> bytes:
    """One line per join week: its size, then the active count and share for weeks 1..8."""
    weeks = len(rows[0].shares) if rows else 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["join_week", "joined"]
    for k in range(1, weeks + 1):
        header += [f"week_{k}_active", f"week_{k}_share"]
    writer.writerow(header)
    for row in rows:
        line: list[object] = [row.cohort.isoformat(), row.size]
        for active, part in zip(row.active, row.shares, strict=True):
            line += ["" if active is None else active, "" if part is None else f"{part:.3f}"]
        writer.writerow(line)
    return out.getvalue().encode("utf-8")


def render_retention(rows: Sequence[RetentionRow]) -> bytes:
    """Join weeks down, weeks after across; each cell the share still active, labelled."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    weeks = len(rows[0].shares) if rows else 0
    grid = [[float("nan") if s is None else s for s in row.shares] for row in rows]
    height = 1.6 + 0.4 * max(1, len(rows))
    figure = Figure(figsize=(8.0, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(grid, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    axes.set_xticks(range(weeks), [f"W{k}" for k in range(1, weeks + 1)])
    axes.set_yticks(range(len(rows)), [f"{r.cohort:%d %b %Y} ({r.size})" for r in rows])
    axes.set_xlabel("Weeks after the join week")
    axes.set_title("Share of each join week's members active again")
    for y, row in enumerate(rows):
        for x, part in enumerate(row.shares):
            if part is not None:
                colour = "white" if part > 0.6 else "black"
                axes.text(x, y, f"{round(part * 100)}%", ha="center", va="center", color=colour)
    figure.colorbar(image, ax=axes, format=lambda v, _: f"{round(v * 100)}%")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def render_report(title: str, tiles: Sequence[tuple[str, str, str]]) -> bytes:
    """The monthly report's headline: one tile per figure (label, value, change)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = 4
    rows = max(1, -(-len(tiles) // columns))
    figure = Figure(figsize=(10.0, 0.9 + 1.5 * rows), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=15, fontweight="bold")
    for i, (label, value, change) in enumerate(tiles):
        axes = figure.add_subplot(rows, columns, i + 1)
        axes.set_axis_off()
        colour = "#2e7d32" if change.startswith("+") else "#c62828" if change[:1] == "-" else "grey"
        axes.text(0.5, 0.72, value, ha="center", va="center", fontsize=20, fontweight="bold")
        axes.text(0.5, 0.38, label, ha="center", va="center", fontsize=10)
        axes.text(0.5, 0.12, change, ha="center", va="center", fontsize=9, color=colour)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
