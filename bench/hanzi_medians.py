"""The handwriting test set: Make Me a Hanzi's stroke medians (npm ``hanzi-writer-data``), drawn as
a steady and as an unsteady hand would. Shared by bench/handwriting.py and tests/test_handwriting_accuracy.py.

For measuring only: nothing in the kiosk is built or tuned from these strokes (a re-ranker made from
the test set would only find itself).

The medians are in a 1024 box with y upwards: screen y = 900 − y. The unsteady hand turns the whole
(±8°), stretches it (×0.85–1.15 each way), moves it (±40) and jitters every point (σ 8).
"""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

from core.catalogue import DEMO_FILE

ROOT = Path(__file__).resolve().parent.parent
HANZI = ROOT / "node_modules" / "hanzi-writer-data"


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
