"""Pinyin input for the on-screen keyboard: toneless letters typed so far → the candidate row.

    >>> from engines.pinyin import candidates, remaining
    >>> row = candidates("xingfushequ")
    >>> row[0]
    Candidate(text='幸福社区', consumed_letters=11)
    >>> row[1]
    Candidate(text='幸福', consumed_letters=6)
    >>> remaining("xingfushequ", row[1])
    'shequ'

Built as a small engine with no web in it (import-linter keeps Flask out), over an index file made
once from pypinyin's readings and wordfreq's word frequencies (:mod:`~engines.pinyin.build`), opened
read-only on first use (:mod:`~engines.pinyin.index`), so a process pays for it only when a resident
types pinyin, and then about 1 ms and a few MB. Output is Simplified Chinese only (GB 2312);
:func:`traditional` gives a Traditional page's forms, converted by OpenCC when the index was built.

Input is forgiving and bounded (:mod:`~engines.pinyin.letters`): upper or lower case, ``v`` or ``ü`` for
ü (``lv`` → 绿), apostrophes between syllables (``xi'an`` → 西安); anything else is ignored, and only the
first 30 letters count. Bad input gives an empty row, never an error; a missing index that cannot be
built raises :class:`PinyinUnavailable` (pypinyin or wordfreq not installed).
"""
from __future__ import annotations

from collections.abc import Container

from .index import Candidate, PinyinUnavailable, default_index
from .letters import MAX_LETTERS, SEPARATOR, normalise

__all__ = ["Candidate", "PinyinUnavailable", "MAX_LETTERS", "candidates", "normalise", "remaining", "simplified",
           "traditional"]


def candidates(letters: str, limit: int = 10, after: str = "",
               pairs: Container[tuple[str, str]] = frozenset()) -> list[Candidate]:
    """What the candidate row shows for ``letters``, best first, at most ``limit``.

    :param letters: what was typed and not yet converted (e.g. ``"xingfu"``, ``"xingf"``, ``"xf"``).
    :param limit: how many candidates at most (up to 100).
    :param after: the text already in the field (Simplified), if any: a word it begins comes first (社 +
        ``qu`` → 区), and its last character makes likelier what usually follows it (坏 + ``le`` → 了).
    :param pairs: (character, next character) that the caller's own texts put together (the kiosk's
        catalogue: (道, 灯) from 楼道灯): as likely as the likeliest pairs of the corpus.
    :return: whole words for all the letters first (or, for several syllables, their likeliest
        conversion when it takes more than one word: ``huaile`` → 坏了), then words for the first syllables, then (always,
        when there is one) characters for the first syllable; each says how many letters it spells.
    """
    return default_index().candidates(letters, limit, after, pairs)


def traditional(texts: list[str]) -> list[str]:
    """``texts`` (Simplified: candidates of the pinyin row or of handwriting) in Taiwan's Traditional
    forms, from OpenCC's s2tw as the index recorded it when it was built (the server never loads OpenCC)."""
    return default_index().traditional(texts)


def simplified(text: str) -> str:
    """The text of a Traditional page's field in Simplified characters (樓道燈 → 楼道灯), character by
    character, to give :func:`candidates` its ``after``; from the same OpenCC forms as :func:`traditional`."""
    return default_index().simplified(text)


def remaining(letters: str, picked: Candidate) -> str:
    """The letters still to convert once ``picked`` is chosen, normalised (``"shequ"`` after 幸福)."""
    typed, spelled = normalise(letters), 0
    for at, ch in enumerate(typed):
        if spelled >= picked.consumed_letters:
            return typed[at:].lstrip(SEPARATOR)
        if ch != SEPARATOR:
            spelled += 1
    return ""
