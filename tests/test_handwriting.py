"""The zinnia binding: real libzinnia0, the real Simplified Chinese model, strokes drawn two ways.

Hand-made strokes for a few characters, and Make Me a Hanzi's stroke medians (npm hanzi-writer-data,
a 1024 box with y upwards: screen y = 900 − y) for common characters and the demo catalogue's own.
How good the bare recogniser is on thousands of characters, drawn by unsteady hands, belongs to
bench/ (issue 10); here: it loads, answers sensibly, fails clearly, and is safe across threads.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from engines.handwriting.zinnia import Candidate, Recognizer, ZinniaError, recognizer

ROOT = Path(__file__).resolve().parent.parent
HANZI = ROOT / "node_modules" / "hanzi-writer-data"
COMMON = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"
CATALOGUE_WORDS = "养老上门维修补贴投诉建议居家助餐残疾证明调解电梯楼道"


def medians(character: str) -> list[list[tuple[float, float]]]:
    data = json.loads((HANZI / f"{character}.json").read_text(encoding="utf-8"))
    return [[(x, 900 - y) for x, y in stroke] for stroke in data["medians"]]


def test_hand_drawn_strokes():
    ten = [[(100, 500), (500, 500), (900, 500)], [(500, 100), (500, 500), (500, 900)]]
    candidates = recognizer().classify(ten)
    assert candidates[0] == Candidate("十", candidates[0].score) and len(candidates) == 10
    assert all(isinstance(c.character, str) and len(c.character) == 1 for c in candidates)
    assert candidates[0].score >= candidates[-1].score
    mouth = [[(200, 200), (200, 800)], [(200, 200), (800, 200), (800, 800)], [(200, 800), (800, 800)]]
    assert "口" in [c.character for c in recognizer().classify(mouth)[:3]]


# Floors just under what the bare recogniser does with clean medians (measured 2026-11-25: common
# 73 % / 87 %, catalogue words 69 % / 77 %): a regression guard, not the goal. Re-ranking by what a
# field expects (issue 10) is what should lift the catalogue's own words.
@pytest.mark.parametrize("characters, top1, top10", [(COMMON, 0.70, 0.85), (CATALOGUE_WORDS, 0.65, 0.75)],
                         ids=["common", "catalogue"])
def test_median_strokes_of_real_characters(characters, top1, top10):
    assert HANZI.exists(), "`make test` installs npm hanzi-writer-data"
    found = [[c.character for c in recognizer().classify(medians(ch), size=1024)] for ch in characters]
    first = sum(ch == best[0] for ch, best in zip(characters, found)) / len(characters)
    within = sum(ch in best for ch, best in zip(characters, found)) / len(characters)
    assert first >= top1 and within >= top10, f"top-1 {first:.0%}, top-10 {within:.0%}"


def test_nothing_drawn_gives_nothing_and_stray_points_are_kept_inside_the_box():
    assert recognizer().classify([]) == [] and recognizer().classify([[], []]) == []
    wild = [[(-500, 500), (5000, 500)], [(500, -10), (500, 10**9)]]  # a finger sliding off the pad
    assert recognizer().classify(wild)[0].character == "十"


def test_a_missing_model_or_library_says_which_debian_package(tmp_path):
    with pytest.raises(ZinniaError, match="tegaki-zinnia-simplified-chinese"):
        Recognizer(model=tmp_path / "none.model")
    with pytest.raises(ZinniaError, match="libzinnia0"):
        Recognizer(library="libzinnia-that-does-not-exist.so")


def test_one_recognizer_serves_many_threads():
    ten = [[(100, 500), (900, 500)], [(500, 100), (500, 900)]]
    results, errors = [], []

    def draw():
        try:
            for _ in range(20):
                results.append(recognizer().classify(ten)[0].character)
        except Exception as exc:  # collected, so a failure names itself
            errors.append(exc)

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and results == ["十"] * 160
