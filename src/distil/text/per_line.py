"""Counting line by line: the rule behind every counting constraint's `per_line: true`.

Only non-empty lines are judged (a blank line between paragraphs is not a line of zero
characters), and lines are numbered as an editor numbers them: from 1, blank lines included.
"""

from __future__ import annotations

from collections.abc import Callable

from distil.text.lines import split_lines
from distil.text.ranges import Range


def judge_lines(text: str, count: Callable[[str], int],
                bounds: Range) -> tuple[int, int, int] | None:
    """(line number, its count, signed distance) of the line to report: the first line outside
    `bounds`, or else the line with the largest count (distance 0). None when no line has
    anything but whitespace."""
    worst: tuple[int, int, int] | None = None
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        n = count(line)
        distance = bounds.distance(n)
        if distance:
            return number, n, distance
        if worst is None or n > worst[1]:
            worst = (number, n, 0)
    return worst
