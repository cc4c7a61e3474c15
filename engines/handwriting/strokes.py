"""Strokes as the page sends them: checked, capped, and fitted to the recogniser's square box.

The writing pad posts ``{"strokes": [[[x, y], …], …], "width": w, "height": h}`` in its own pixels.
Anything else — not a list, a number that is not finite, too many strokes or points — is refused
with :class:`BadStrokes` before it reaches the C library, so one bad request costs microseconds.

An older hand writes small in a corner or large across the pad, so :func:`fitted` moves what was
drawn into the middle of a 1000 × 1000 box at a steady size, keeping its shape (zinnia was trained
on characters that fill their box).
"""
from __future__ import annotations

import math

# What a finger can draw on the pad, with a margin (bench/handwriting_payload.py, docs/security.md): of the
# 9,500 characters of Make Me a Hanzi drawn as large as the pad lets them (500 px high, stretched to 900
# wide) and thinned as the pad thins them (a point per 4 px), steady and unsteady, the most strokes is 33
# (鱻), the most points in a stroke 431 (乙) and the most in all 1,603 (鬮). static/js/keyboard.js stops at
# the same bounds, so a resident never meets them.
MAX_STROKES = 40
MAX_STROKE_POINTS = 650
MAX_POINTS = 2400
MAX_SIDE = 10000
BOX = 1000

Strokes = list[list[tuple[float, float]]]


class BadStrokes(ValueError):
    """The payload is not a handful of strokes drawn on a pad."""


class TooMuch(BadStrokes):
    """More strokes or points than a finger draws for one character."""


def parse(payload: object) -> Strokes:
    """The strokes in a pad's JSON payload; :class:`BadStrokes` if it is not one."""
    if not isinstance(payload, dict):
        raise BadStrokes("not an object")
    strokes = payload.get("strokes")
    if not isinstance(strokes, list):
        raise BadStrokes("no strokes")
    if len(strokes) > MAX_STROKES:
        raise TooMuch("too many strokes")
    parsed: Strokes = []
    total = 0
    for stroke in strokes:
        if not isinstance(stroke, list):
            raise BadStrokes("a stroke is not a list of points")
        total += len(stroke)
        if len(stroke) > MAX_STROKE_POINTS:
            raise TooMuch("too many points in a stroke")
        if total > MAX_POINTS:
            raise TooMuch("too many points")
        points = []
        for point in stroke:
            if not (isinstance(point, list) and len(point) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)):
                raise BadStrokes("a point is not [x, y]")
            x, y = float(point[0]), float(point[1])
            if not (math.isfinite(x) and math.isfinite(y)) or abs(x) > MAX_SIDE or abs(y) > MAX_SIDE:
                raise BadStrokes("a point is off the pad")
            points.append((x, y))
        if points:
            parsed.append(points)
    return parsed


def fitted(strokes: Strokes, box: int = BOX) -> Strokes:
    """``strokes`` moved and scaled (the same both ways) to fill the middle 80 % of a ``box`` square."""
    xs = [x for stroke in strokes for x, _ in stroke]
    ys = [y for stroke in strokes for _, y in stroke]
    if not xs:
        return []
    side = max(max(xs) - min(xs), max(ys) - min(ys))
    scale = 0.8 * box / side if side >= 1.0 else 1.0  # a tap is a dot, not a character to blow up
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [[(box / 2 + (x - cx) * scale, box / 2 + (y - cy) * scale) for x, y in stroke] for stroke in strokes]
