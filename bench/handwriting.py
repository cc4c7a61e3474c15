"""How well the bare recogniser reads characters drawn by a steady and by an unsteady hand, and how fast.

    make bench            (or: .venv/bin/python -m bench.handwriting)

The test set is Make Me a Hanzi's stroke medians (npm ``hanzi-writer-data``, a 1024 box with y
upwards: screen y = 900 − y), for
- the 3,755 level-1 characters of GB 2312 (rows 16–55, as Python's own ``gb2312`` codec yields them);
- every Han character of the demo catalogue's Simplified Chinese texts (what residents will write).

Each character is drawn twice: its clean medians, and as an unsteady hand would — the whole turned
(±8°), stretched (×0.85–1.15 each way), moved (±40), every point jittered (σ 8) — with a fixed seed,
so runs compare. Printed: top-1 and top-10 accuracy, and the time per classification against the
issue's limit of 20 ms. This is the baseline that re-ranking by what a field expects must beat.
Not a test: nothing here passes or fails; the numbers go to docs/performance.md with their date.
"""
from __future__ import annotations

import json
import math
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.catalogue import DEMO_FILE  # noqa: E402
from kiosk.handwriting.zinnia import recognizer  # noqa: E402

HANZI = ROOT / "node_modules" / "hanzi-writer-data"
LIMIT_MS = 20.0


def gb2312_level1() -> list[str]:
    found = []
    for row in range(16, 56):
        for cell in range(1, 95):
            try:
                found.append(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return found


def catalogue_characters() -> list[str]:
    """The Han characters of every Simplified Chinese text in the demo catalogue (the model is Simplified)."""
    texts: list[str] = []

    def walk(node, simplified: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, simplified or key == "zh_Hans_CN")
        elif isinstance(node, list):
            for value in node:
                walk(value, simplified)
        elif isinstance(node, str) and simplified:
            texts.append(node)

    walk(json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    return sorted({ch for text in texts for ch in text if "\u4e00" <= ch <= "\u9fff"})


def medians(character: str) -> list[list[tuple[float, float]]] | None:
    path = HANZI / f"{character}.json"
    if not path.exists():
        return None
    return [[(x, 900 - y) for x, y in stroke] for stroke in json.loads(path.read_text(encoding="utf-8"))["medians"]]


def unsteady(strokes, rng: random.Random):
    angle = math.radians(rng.uniform(-8, 8))
    sx, sy = rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15)
    dx, dy = rng.uniform(-40, 40), rng.uniform(-40, 40)
    cos, sin = math.cos(angle), math.sin(angle)
    drawn = []
    for stroke in strokes:
        points = []
        for x, y in stroke:
            x, y = (x - 512) * sx, (y - 512) * sy
            x, y = x * cos - y * sin + 512 + dx, x * sin + y * cos + 512 + dy
            points.append((x + rng.gauss(0, 8), y + rng.gauss(0, 8)))
        drawn.append(points)
    return drawn


def measure(name: str, characters: list[str], rng: random.Random, times: list[float]) -> None:
    counts = {"clean": [0, 0], "unsteady": [0, 0]}
    n = 0
    for character in characters:
        strokes = medians(character)
        if not strokes:
            continue
        n += 1
        for kind, drawn in (("clean", strokes), ("unsteady", unsteady(strokes, rng))):
            start = time.perf_counter()
            best = [c.character for c in recognizer().classify(drawn, size=1024, best=10)]
            times.append((time.perf_counter() - start) * 1000)
            counts[kind][0] += bool(best) and best[0] == character
            counts[kind][1] += character in best
    for kind, (top1, top10) in counts.items():
        print(f"{name:<28} {kind:<9} n={n:<5} top-1 {top1 / n:6.1%}   top-10 {top10 / n:6.1%}")


def main() -> None:
    if not HANZI.exists():
        raise SystemExit("npm hanzi-writer-data is missing: run `make test` (or npm ci) first")
    rng = random.Random(20261125)
    times: list[float] = []
    recognizer()  # open the model once, outside the timing
    measure("GB 2312 level 1", gb2312_level1(), rng, times)
    measure("demo catalogue's characters", catalogue_characters(), rng, times)
    median, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
    print(f"classification: median {median:.2f} ms, p95 {p95:.2f} ms over {len(times)} characters; "
          f"limit {LIMIT_MS:.0f} ms: ratio {p95 / LIMIT_MS:.2f}x")


if __name__ == "__main__":
    main()
