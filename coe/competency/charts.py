"""Charts of levels (pygal): the radar of a person's levels, the line of a team's trend.

The only module that imports the charting library.
"""

from __future__ import annotations

import functools
import re

# pygal is imported when a chart is drawn, not when the web app loads.


@functools.cache
def style():
    from pygal.style import Style

    return Style(background="white", plot_background="white", foreground="#212529", foreground_strong="#212529",
                 foreground_subtle="#6c757d", colors=("#1f3a5f", "#d97706"), font_family="system-ui, sans-serif",
                 label_font_size=11, major_label_font_size=11, legend_font_size=12)


def radar_svg(title: str, labels: list[str], targets: list[int], current: list[int]) -> bytes:
    """An SVG radar of one area's competencies: the target shape and the current one, levels 0 to 5."""
    import pygal

    chart = pygal.Radar(style=style(), fill=False, range=(0, 5), width=520, height=440, js=[],
                        show_legend=True, legend_at_bottom=True, dots_size=3, title=title,
                        y_labels=[1, 2, 3, 4, 5], show_y_guides=True, truncate_label=22)
    chart.x_labels = labels
    chart.add("Target", targets)
    chart.add("Current", current)
    # pygal adds its configuration as an inline script even without its JavaScript: an image needs none.
    return _SCRIPT.sub(b"", chart.render())


@functools.cache
def line_style():
    from pygal.style import Style

    return Style(**{**style().to_dict(), "colors": ("#1f3a5f", "#d97706", "#2f855a", "#9b2c2c", "#6b46c1",
                                                    "#2b6cb0")})


def line_svg(title: str, labels: list[str], series: list[tuple[str, list[float | None]]]) -> bytes:
    """An SVG line per series (areas over months, levels 0 to 5); a missing value leaves a break in its line."""
    import pygal

    chart = pygal.Line(style=line_style(), range=(0, 5), width=760, height=380, js=[], show_legend=True,
                       legend_at_bottom=True, dots_size=3, title=title, y_labels=[0, 1, 2, 3, 4, 5],
                       x_label_rotation=30, truncate_label=12, allow_interruptions=True, truncate_legend=40)
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    return _SCRIPT.sub(b"", chart.render())


_SCRIPT = re.compile(rb"<script\b.*?</script>", re.DOTALL)
