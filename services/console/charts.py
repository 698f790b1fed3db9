"""Bar charts as inline SVG, drawn on the server: no chart library to ship or to load from anywhere, text
that prints and zooms, and a table of the same figures beside each chart for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f4e9c", "#b45309", "#b91c1c", "#047857")
"""Series colours, each at least 4.5:1 against white (WCAG 2.1 AA for the text drawn in them)."""


@dataclass(frozen=True)
class Series:
    title: str
    values: Sequence[int]


def bar_chart(ident: str, title: str, labels: Sequence[str], series: Sequence[Series], width: int = 720) -> str:
    """Horizontal grouped bars: one group per label, one bar per series, each bar labelled with its value;
    ``ident`` names the chart's title element, unique within the page."""
    bar, gap, left, top = 14, 10, 300, 28
    group = bar * len(series) + gap
    height = top + group * len(labels) + 24
    peak = max((v for s in series for v in s.values), default=0) or 1
    span = width - left - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-labelledby="{ident}">',
        f'<title id="{ident}">{escape(title)}</title>',
    ]
    for i, s in enumerate(series):  # the legend
        x = left + i * 130
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 16}" y="16" font-size="12" fill="#1a1a1a">{escape(s.title)}</text>')
    for row, label in enumerate(labels):
        y = top + row * group
        parts.append(
            f'<text x="{left - 8}" y="{y + group / 2}" font-size="12" text-anchor="end" fill="#1a1a1a">'
            f"{escape(label)}</text>"
        )
        for i, s in enumerate(series):
            value = s.values[row]
            length = round(span * value / peak)
            colour = PALETTE[i % len(PALETTE)]
            parts.append(f'<rect x="{left}" y="{y + i * bar}" width="{length}" height="{bar - 2}" fill="{colour}"/>')
            at = f'x="{left + length + 4}" y="{y + i * bar + bar - 4}"'
            parts.append(f'<text {at} font-size="11" fill="#1a1a1a">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
