"""The shape matcher (engines/handwriting/shapes.py) and how its list joins zinnia's (rerank.combine).

Strokes here are drawn by hand in the test, in a 1000 box with y down. How well it reads thousands
of characters, and its memory and time, belong to bench/handwriting.py.
"""
from __future__ import annotations

import pytest

from engines.handwriting.rerank import combine
from engines.handwriting.shapes import FEATURES, ShapeError, ShapeMatcher, closest, matcher

# Characters that look alike: boxes, crosses and bars.
LOOKALIKES = frozenset("十口田日目一二三土王中人大木本工干")

TEN = [[(100, 500), (900, 500)], [(500, 100), (500, 900)]]
MOUTH = [[(200, 200), (200, 800)], [(200, 200), (800, 200), (800, 800)], [(200, 800), (800, 800)]]
FIELD = MOUTH + [[(500, 200), (500, 800)], [(200, 500), (800, 500)]]
THREE = [[(250, 200), (750, 200)], [(300, 500), (700, 500)], [(150, 820), (850, 820)]]


def backwards(strokes):
    """The same drawing, last stroke first, each stroke from its end to its start."""
    return [list(reversed(stroke)) for stroke in reversed(strokes)]


@pytest.mark.parametrize("strokes, character", [(TEN, "十"), (MOUTH, "口"), (FIELD, "田"), (THREE, "三")],
                         ids=["ten", "mouth", "field", "three"])
def test_hand_drawn_characters_match_their_own_font_shape(strokes, character):
    found = closest(strokes, LOOKALIKES, best=5)
    assert found[0][0] == character, found
    assert len(found) == 5 and all(c in LOOKALIKES for c, _ in found)
    assert 0 < found[-1][1] <= found[0][1] <= 1


@pytest.mark.parametrize("strokes", [TEN, MOUTH, FIELD, THREE], ids=["ten", "mouth", "field", "three"])
def test_stroke_order_and_direction_make_no_difference(strokes):
    forwards, reversed_ = closest(strokes, LOOKALIKES), closest(backwards(strokes), LOOKALIKES)
    assert [c for c, _ in forwards][:3] == [c for c, _ in reversed_][:3]
    assert forwards[0][1] == pytest.approx(reversed_[0][1], abs=0.02)


def test_stroke_count_makes_no_difference():
    """口 written as four separate lines, or in two strokes as a school teaches, or in one."""
    four = [[(200, 200), (800, 200)], [(800, 200), (800, 800)], [(800, 800), (200, 800)], [(200, 800), (200, 200)]]
    one = [[(200, 200), (800, 200), (800, 800), (200, 800), (200, 200)]]
    for strokes in (four, MOUTH, one):
        assert closest(strokes, LOOKALIKES)[0][0] == "口"


def test_size_and_place_on_the_pad_make_no_difference():
    small_in_a_corner = [[(x / 5 + 20, y / 5 + 700) for x, y in stroke] for stroke in FIELD]
    assert closest(small_in_a_corner, LOOKALIKES)[0][0] == "田"


@pytest.mark.parametrize("strokes", [[], [[]], [[], []], [[(500, 500)]], [[(500, 500), (500.5, 500.2)]],
                                     [[(float("nan"), 1.0), (2.0, 3.0)]], [[(100, 100), (900, 900)], [(float("nan"), 500)]],
                                     [[(float("inf"), 1.0), (2.0, 3.0)]]],
                         ids=["nothing", "empty-stroke", "empty-strokes", "a-tap", "a-tiny-dot", "not-a-number",
                              "one-point-not-a-number", "infinity"])
def test_nothing_or_a_dot_gives_nothing(strokes):
    assert closest(strokes, LOOKALIKES) == []


def test_no_vocabulary_gives_nothing():
    assert closest(TEN, frozenset()) == []
    assert closest(TEN, frozenset("\ue000")) == []  # a private-use character: no glyph in the font


def test_templates_are_made_once_per_vocabulary_and_skip_what_the_font_lacks():
    shapes = matcher()
    vocabulary = frozenset("十口田\ue000")
    templates = shapes.templates(vocabulary)
    assert templates.characters == tuple(sorted("十口田"))
    assert templates.rows.size == (FEATURES, 3)
    assert shapes.templates(frozenset("田口十\ue000")) is templates


def test_a_missing_font_or_face_says_which_debian_package(tmp_path):
    with pytest.raises(ShapeError, match="fonts-noto-cjk"):
        ShapeMatcher(font=tmp_path / "none.ttc")
    with pytest.raises(ShapeError, match="no face 'Noto Sans CJK XX'.*fonts-noto-cjk"):
        ShapeMatcher(face="Noto Sans CJK XX")


def test_combine_puts_the_closest_shape_first_only_when_it_and_the_fields_texts_agree_against_zinnia():
    from engines.handwriting.rerank import Expectation

    field = Expectation.from_texts(["幸福里", "灯不亮"])
    ranked = list("辛幅副富届福偪逼畐蝠")  # zinnia's first goes on from nothing; 福 is sixth
    assert combine(ranked, list("福里"), expected=field, before="幸")[:6] == list("福辛幅副富届")
    assert combine(ranked, list("福里"), expected=field, before="")[:5] == ranked[:5]       # nothing before: no exception
    assert combine(ranked, list("福里"), best=10)[:5] == ranked[:5]                         # no field given: none
    assert combine(ranked, list("里福"), expected=field, before="幸")[:5] == ranked[:5]     # the closest does not go on
    assert combine(list("福幅"), list("里"), expected=field, before="幸") == list("福幅里")   # zinnia already found it
    goes_on_too = list("里辛")  # zinnia's first goes on from 福 as well: zinnia keeps the first place
    assert combine(goes_on_too, list("灯"), expected=Expectation.from_texts(["福里", "福灯"]), before="福")[0] == "里"


def test_combine_keeps_zinnias_first_half_then_adds_shapes_not_shown():
    ranked = list("ABCDEFGHIJKL")
    assert combine(ranked, list("xyzuvw")) == list("ABCDExyzuv")
    assert combine(ranked, list("CxAyz")) == list("ABCDExyzFG")  # what zinnia shows already is not repeated
    assert combine(ranked, []) == ranked[:10]  # a field that expects nothing: zinnia's list unchanged
    assert combine([], list("xyz")) == list("xyz")
    assert combine(list("AAB"), list("BCC"), best=3) == list("ABC")
    assert combine(ranked, list("xyz"), best=5) == list("ABCxy")
