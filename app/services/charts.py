"""The geometry of the dashboard's charts: value axes with round steps.

The figures come from stats.py; the SVG is drawn by the templates
(templates/admin/_chart_*.html) from these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Axis:
    """A value axis starting at 0: its top value and evenly spaced ticks."""

    top: int
    ticks: list[int]


def axis(maximum: int, steps: int = 4) -> Axis:
    """An axis from 0 with ``steps`` round intervals (1, 2, 2.5, 5 × 10ⁿ, whole numbers)."""
    needed = max(maximum, 1) / steps
    magnitude = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            step = factor * magnitude
            if step >= needed and step == int(step):
                step = int(step)
                return Axis(top=step * steps, ticks=[step * i for i in range(steps + 1)])
        magnitude *= 10
