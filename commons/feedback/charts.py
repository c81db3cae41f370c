"""Bar charts drawn on the server as SVG: no JavaScript, nothing from another host.

Every text that enters the SVG (a question, an answer's label) is escaped: the chart is
inserted as markup, and a label must never become an element. The chart is an image with a
title and a description that state the numbers (`role="img"`); the page puts a table with the
same numbers beside it for whoever reads tables rather than pictures.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from commons.feedback.results import QuestionResult

# Drawn at about its own size on a 360 px phone, so that its 16-unit text stays readable there.
WIDTH = 360
FONT = 16
LABEL_HEIGHT = 21
BAR_HEIGHT = 20
ROW_GAP = 10
NUMBER_ROOM = 112  # room right of the longest bar for "100 (100 %)"
# Dark blue on white: 8.9:1, above the 3:1 non-text contrast and the 4.5:1 of text alike.
BAR_COLOUR = "#1d4f91"
TEXT_COLOUR = "#1a1a1a"
TRACK_COLOUR = "#767676"  # the 0 line: 4.5:1 on white


def number(count: int, percent: int) -> str:
    return f"{count} ({percent}\u202f%)"


def describe(result: QuestionResult) -> str:
    return "; ".join(f"{label} : {number(count, percent)}" for label, count, percent in result.rows)


def bar_chart(result: QuestionResult, chart_id: str) -> Markup:
    """One horizontal bar per answer, its label above it and its count and percent after it."""
    row_height = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
    height = row_height * len(result.rows)
    longest = WIDTH - NUMBER_ROOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{escape(chart_id)}-titre {escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-titre">{escape(result.label)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(describe(result))}</desc>',
    ]
    for index, (label, count, percent) in enumerate(result.rows):
        top = index * row_height
        bar = round(longest * percent / 100)
        parts.append(f'<text x="0" y="{top + 16}" fill="{TEXT_COLOUR}" font-size="{FONT}">{escape(label)}</text>')
        parts.append(f'<rect x="0" y="{top + LABEL_HEIGHT}" width="2" height="{BAR_HEIGHT}" fill="{TRACK_COLOUR}"/>')
        if bar:
            parts.append(f'<rect x="0" y="{top + LABEL_HEIGHT}" width="{bar}" height="{BAR_HEIGHT}" '
                         f'fill="{BAR_COLOUR}"/>')
        parts.append(f'<text x="{bar + 6}" y="{top + LABEL_HEIGHT + 15}" fill="{TEXT_COLOUR}" font-size="{FONT}">'
                     f'{escape(number(count, percent))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
