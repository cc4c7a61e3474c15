"""Put first what the field expects: re-ranking the recogniser's candidates by a field's vocabulary.

A bare recogniser reads each character alone. A person reading a scrawl does better because they
know what is being written: an address in this centre's estates, a repair in the words of the
repairs service, a character that goes on from the one before. :class:`Expectation` holds that
knowledge for one field, built only from the kiosk's own texts (the catalogue, the address book)
and Python's ``gb2312`` codec — never from the strokes used to measure it (bench/handwriting.py).

The rule is rank-based, not score-based (zinnia's scores are SVM margins whose scale varies from
one character to the next): a candidate moves up a fixed number of places for each thing that
speaks for it, and keeps zinnia's order otherwise.

- ``NEXT`` places when it and the character before it appear together in the field's texts (幸 → 福);
- ``EXPECTED`` places when it is one of the field's characters at all;
- ``COMMON`` places when it is a common character (GB 2312 level 1, 3,755 characters).

The lifts are bounded on purpose: in a free-text field a resident writes characters no vocabulary
holds, and zinnia's own first choice must not sink below a handful of expected ones.

:func:`combine` then merges in a second reader's list (:mod:`~engines.handwriting.shapes`, which
ignores stroke order and knows only the field's characters), with the same restraint: it gets half
the places shown, after zinnia's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from ..charsets import LEVEL_1, gb2312

NEXT = 12
EXPECTED = 6
COMMON = 3
HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def gb2312_level1() -> tuple[str, ...]:
    """GB 2312 level 1 (rows 16–55) in the standard's order: the 3,755 characters learnt first in school."""
    return gb2312(LEVEL_1)


@lru_cache(maxsize=1)
def common_characters() -> frozenset[str]:
    return frozenset(gb2312_level1())


@dataclass(frozen=True)
class Expectation:
    """What one field expects: its characters, and which character follows which in its texts."""

    characters: frozenset[str] = frozenset()
    pairs: frozenset[tuple[str, str]] = frozenset()
    common: frozenset[str] = field(default_factory=common_characters)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "Expectation":
        characters: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for text in texts:
            for run in HAN_RUN.findall(text or ""):
                characters.update(run)
                pairs.update(zip(run, run[1:]))
        return cls(frozenset(characters), frozenset(pairs))

    def merged(self, other: "Expectation") -> "Expectation":
        return Expectation(self.characters | other.characters, self.pairs | other.pairs, self.common)

    def knows(self, text: str) -> bool:
        """Whether ``text`` reads as the field's own words: each character expected, each pair seen together."""
        return bool(text) and all(c in self.characters for c in text) and all(p in self.pairs for p in zip(text, text[1:]))

    def lift(self, character: str, before: str) -> int:
        """How many places ``character`` moves up, written after ``before``."""
        places = 0
        if before and (before[-1], character) in self.pairs:
            places += NEXT
        if character in self.characters:
            places += EXPECTED
        if character in self.common:
            places += COMMON
        return places


NOTHING = Expectation()


def rerank(candidates: Iterable[str], expected: Expectation = NOTHING, before: str = "", best: int = 10) -> list[str]:
    """``candidates`` (likeliest first) in the order to show them for this field, ``best`` of them."""
    seen: dict[str, int] = {}
    for rank, character in enumerate(candidates):
        seen.setdefault(character, rank)
    order = sorted(seen, key=lambda c: (seen[c] - expected.lift(c, before), seen[c]))
    return order[:best]


def combine(ranked: Iterable[str], shaped: Iterable[str], best: int = 10,
            expected: Expectation = NOTHING, before: str = "") -> list[str]:
    """zinnia's re-ranked candidates and the shape matcher's, merged: ``best`` of them, in the order to show.

    The first half of the places (the pad's first row of five) keep zinnia's re-ranked order; the
    second half go to the shape matcher's best characters not already shown; whatever is left is
    zinnia's again, in order. The rule was fixed before it was measured, for these reasons:

    - the shape matcher proposes only characters the field expects, and always proposes some, even
      when a resident writes a word no vocabulary holds: so it never takes zinnia's first places
      (in particular not the first), which :func:`rerank` has already given to expected characters
      where zinnia saw them;
    - where zinnia did not see the character at all (about one time in ten), no order of its list
      helps, and the shape matcher's few best are the only place it can come from;
    - half and half needs no weight, and scores are not mixed (zinnia's SVM margins and cosines of
      shapes have nothing in common).

    One exception gives the shape matcher the first place: when **two things agree against zinnia**.
    If the shape matcher's closest character goes on from the character before it in the field's
    texts (幸 → 福), and zinnia's first does not, the closest shape goes first and zinnia's five follow.
    The shape matcher and the field's texts know nothing of each other; when both point at one
    character, that is better evidence than zinnia's reading of a drawing it did not recognise as
    anything the field expects. It never fires on a field's first character (nothing before it) nor
    where zinnia already found a character that goes on. Its cost to characters a field does not
    expect, written after one it does, is measured in bench/handwriting.py.

    :param ranked: :func:`rerank`'s order (ask for more than ``best``: those fill what is left)
    :param shaped: the shape matcher's characters, closest first
    :param expected: what the field expects, and ``before``, what was written before: for the exception
    """
    ranked, shaped = list(dict.fromkeys(ranked)), list(dict.fromkeys(shaped))
    kept = (best + 1) // 2
    if before and ranked and shaped and shaped[0] != ranked[0]:
        goes_on = {c for c in (ranked[0], shaped[0]) if (before[-1], c) in expected.pairs}
        if goes_on == {shaped[0]}:  # the shape and the field's texts agree; zinnia's first is neither
            ranked, kept = [shaped[0], *(c for c in ranked if c != shaped[0])], kept + 1
    shown = ranked[:kept]
    shown += [c for c in shaped if c not in shown][:best - len(shown)]
    shown += [c for c in ranked[kept:] if c not in shown]
    return shown[:best]


FUSION_K = 60  # reciprocal-rank fusion's usual constant (Cormack, Clarke and Büttcher, 2009): votes count first


def fuse(lists: Iterable[Iterable[str]], best: int = 10, goes_on=None, before: str = "") -> list[str]:
    """Several readers' candidates (each list likeliest first, the most trusted list first) merged by
    reciprocal-rank fusion: each list gives a character ``1 / (FUSION_K + its place)``, so a character
    more readers propose comes first, and among those proposed as often, the better placed. Ties go to
    the order of the lists given.

    ``goes_on(before, character)``, where given, is one more voter — what is already in the field: every
    proposed character that makes a word with the last one written (道 → 路) gets the vote of a first place. It can only reorder what the readers proposed, never add a character.
    """
    lists = [list(dict.fromkeys(candidates)) for candidates in lists]
    scores: dict[str, float] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for number, candidates in enumerate(lists):
        for place, character in enumerate(candidates):
            scores[character] = scores.get(character, 0.0) + 1 / (FUSION_K + place)
            first_seen[character] = min(first_seen.get(character, (place, number)), (place, number))
    if goes_on is not None and before:
        for character in scores:
            if goes_on(before, character):
                scores[character] += 1 / FUSION_K
    return sorted(scores, key=lambda c: (-scores[c], first_seen[c]))[:best]
