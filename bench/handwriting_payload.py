"""How big a character drawn with a finger is, and what the largest payload the endpoint takes costs.

    .venv/bin/python -m bench.handwriting_payload

1. Every character of Make Me a Hanzi's stroke medians (npm ``hanzi-writer-data``, about 9,500) drawn
   as large as the writing pad lets it (500 px high, kiosk.css ``.keyboard__pad``; stretched to the
   pad's widest, 900 px, for the worst case) and thinned as the pad thins a stroke (static/js/keyboard.js:
   a point only after 4 px of movement), by a steady hand and by an unsteady one (bench/hanzi_medians.py):
   the most strokes, the most points in a stroke, the most points in all.
2. The CPU time of :func:`engines.handwriting.reader.read` (zinnia and the shape matcher, in a field that
   expects characters) on a real character, and on the largest payload each bound allows.

Not a test; the numbers go to docs/security.md (tests/test_keyboard.py holds the bounds).
"""
from __future__ import annotations

import json
import random
import time

from bench.hanzi_medians import HANZI, unsteady
from engines.handwriting import reader, strokes
from engines.handwriting.rerank import Expectation

PAD_HEIGHT, PAD_WIDEST, STEP = 500, 900, 4


def thinned(stroke, sx: float, sy: float) -> int:
    """Points the pad keeps of ``stroke`` (1024-box medians) drawn at scale ``sx``, ``sy``: one every 4 px
    of movement (|dx| + |dy|), as a finger sliding along it gives a pointermove every pixel or two."""
    count, carried = 1, 0.0
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        carried += abs(x1 - x0) * sx + abs(y1 - y0) * sy
        count += int(carried // STEP)
        carried %= STEP
    return count


def sizes() -> dict:
    rng = random.Random(19)
    most = {"strokes": (0, ""), "per_stroke": (0, ""), "total": (0, "")}
    for path in sorted(HANZI.glob("*.json")):
        if len(path.stem) != 1:
            continue
        medians = json.loads(path.read_text(encoding="utf-8"))["medians"]
        for drawing in (medians, unsteady(medians, rng)):
            sx, sy = PAD_WIDEST / 1024, PAD_HEIGHT / 1024
            counts = [thinned(stroke, sx, sy) for stroke in drawing]
            for key, value in (("strokes", len(counts)), ("per_stroke", max(counts)), ("total", sum(counts))):
                if value > most[key][0]:
                    most[key] = (value, path.stem)
    return most


def cpu_ms(drawn, expected, rounds: int = 5) -> float:
    reader.read(drawn, expected)  # zinnia's model and the shape templates are made once
    started = time.process_time()
    for _ in range(rounds):
        reader.read(drawn, expected)
    return 1000 * (time.process_time() - started) / rounds


def scribble(n_strokes: int, per_stroke: int) -> list:
    """A payload at a bound: ``n_strokes`` zig-zags across the pad of ``per_stroke`` points each."""
    return [[(float((i * 37 + s * 11) % 900), float((i * 53 + s * 7) % 500)) for i in range(per_stroke)]
            for s in range(n_strokes)]


def main() -> None:
    most = sizes()
    print("largest real characters on the pad (points after the pad's 4 px thinning):")
    for key, (value, character) in most.items():
        print(f"  most {key:10s} {value:5d}  ({character})")
    expected = Expectation.from_texts(["幸福里小区楼栋单元室", "楼道灯不亮", "厨房漏水", "电梯门坏了"])
    real = json.loads((HANZI / "福.json").read_text(encoding="utf-8"))["medians"]
    real = [[(x * PAD_HEIGHT / 1024, (900 - y) * PAD_HEIGHT / 1024) for x, y in stroke] for stroke in real]
    print(f"CPU of one read (ms): a real character (福, {sum(map(len, real))} points): {cpu_ms(real, expected):.1f}")
    old = scribble(40, 100)  # the bounds before issue 19: 40 strokes, 4,000 points in all
    print(f"  the largest payload before (40 strokes, 4,000 points): {cpu_ms(old, expected):.1f}")
    new = scribble(strokes.MAX_STROKES, min(getattr(strokes, "MAX_STROKE_POINTS", 4000), strokes.MAX_POINTS // strokes.MAX_STROKES))
    print(f"  the largest payload now ({strokes.MAX_STROKES} strokes, {sum(map(len, new))} points): {cpu_ms(new, expected):.1f}")
    per = getattr(strokes, "MAX_STROKE_POINTS", 4000)
    long = scribble(max(1, strokes.MAX_POINTS // per), per)
    print(f"  long strokes now ({len(long)} strokes of {per}): {cpu_ms(long, expected):.1f}")


if __name__ == "__main__":
    main()
