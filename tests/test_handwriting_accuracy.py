"""Floors under how well handwriting is read in its field: the kiosk's own path (fitted; zinnia re-ranked by
what the field expects, the common characters' reader and the field's shapes, fused; engines/handwriting/reader.py)
on the demo catalogue's and address book's characters, each drawn by an unsteady hand (bench/hanzi_medians.py,
fixed seed) after the character before it, with its strokes in the order drawn and shuffled (any order).

Measured 2026-12-07 with the common characters' reader and the fusion (issue 23): in order, catalogue
98.5 % / 99.6 %, address book 100 % / 100 %; in any order 93.3 % / 96.4 % and 100 % / 100 %. The floors
sit about one point under: a change that reads worse fails here. Before, in order (zinnia and the
field's shapes by combine): 94.2 / 98.5 and 93.8 / 100 on 2026-12-01, 88.8 / 98.5 and 90.6 / 100 on
2026-11-25; in any order (bench) 57.8 / 87.4. The full figures are bench/handwriting.py's; the common
characters written alone, tests/test_handwriting_common.py.
"""
from __future__ import annotations

import random

import pytest

from bench.handwriting import address_writings, catalogue_writings, demo_database
from engines.handwriting.reader import read
from bench.hanzi_medians import HANZI, medians, unsteady

# (top-1, top-10) floors, unsteady hand, in the field: in the order drawn, and in any order
FLOORS = {("catalogue", "in order"): (0.96, 0.985), ("address book", "in order"): (0.99, 0.99),
          ("catalogue", "any order"): (0.91, 0.94), ("address book", "any order"): (0.96, 0.99)}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return demo_database(tmp_path_factory.mktemp("accuracy"))


@pytest.mark.parametrize("name, hand", FLOORS)
def test_characters_are_read_in_their_field_at_least_as_well_as_measured(db, name, hand):
    assert HANZI.exists(), "`make test` installs npm hanzi-writer-data"
    writings = catalogue_writings(db) if name == "catalogue" else address_writings(db)
    rng, order = random.Random(20261125), random.Random(20261126)
    first = within = n = 0
    for character, before, expected in writings:
        strokes = medians(character)
        if not strokes:
            continue
        drawn = unsteady(strokes, rng)
        if hand == "any order":
            order.shuffle(drawn)
        best = read(drawn, expected, before)
        n += 1
        first += best[0] == character
        within += character in best
    top1, top10 = FLOORS[name, hand]
    assert n > 50
    assert first / n >= top1 and within / n >= top10, \
        f"{name}, {hand}: top-1 {first / n:.1%}, top-10 {within / n:.1%}"
