"""What a resident typed, made safe to look up: normalised letters, and where the syllables are.

Kept apart from the index because it needs no data but the list of syllables, and because it is what
every look-up runs on untrusted input first: it only ever keeps a–z and the apostrophe, and at most
``MAX_LETTERS`` letters, so nothing typed (or sent) can make a look-up cost much. The segmentation
remembers the positions where a parse already failed, so it is linear in the input, not exponential.
"""
from __future__ import annotations

from collections.abc import Collection

MAX_LETTERS = 30  # about six syllables: more than any word, less than any abuse could use
MAX_SCANNED = 1000  # characters of the raw input looked at, letters or not
SEPARATOR = "'"
_SEPARATORS = {"'", "\u2019", "\uff07"}  # the apostrophe, the typographic one, the full-width one
_U_UMLAUT = {"ü", "Ü", "v", "V"}  # pinyin keyboards type ü as v (lv → 绿), and so does the index


def normalise(letters: str) -> str:
    """Lowercase a–z and apostrophes only (ü becomes v), at most ``MAX_LETTERS`` letters.

    Anything else — digits, spaces, Chinese, punctuation — is dropped. Apostrophes separate syllables
    (``xi'an`` is 西安, not 先); repeated ones count once, leading and trailing ones not at all.
    """
    if not isinstance(letters, str):
        return ""
    kept: list[str] = []
    count = 0
    for ch in letters[:MAX_SCANNED]:
        if ch in _U_UMLAUT:
            ch = "v"
        elif "A" <= ch <= "Z":
            ch = ch.lower()
        if "a" <= ch <= "z":
            if count == MAX_LETTERS:
                break
            kept.append(ch)
            count += 1
        elif ch in _SEPARATORS and kept and kept[-1] != SEPARATOR:
            kept.append(SEPARATOR)
    return "".join(kept).rstrip(SEPARATOR)


def boundaries(typed: str) -> set[int]:
    """Letter offsets at which the resident put an apostrophe: a syllable must start there."""
    found, count = set(), 0
    for ch in typed:
        if ch == SEPARATOR:
            found.add(count)
        else:
            count += 1
    return found


def segment(typed: str, syllables: Collection[str], beginnings: Collection[str]) -> list[str] | None:
    """Split normalised letters into syllables, longest syllable first; the last may be unfinished.

    ``syllables`` are the whole syllables, ``beginnings`` every proper beginning of one (``zh``,
    ``xin``…). A complete parse is preferred to one ending in an unfinished syllable; none: ``None``
    (``xf``: the resident may be typing initials). Apostrophes are hard boundaries.
    """
    pieces = [piece for piece in typed.split(SEPARATOR) if piece]
    if not pieces:
        return None
    longest = max((len(s) for s in syllables), default=0)
    for unfinished_allowed in (False, True):
        parsed: list[str] = []
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            found = _parse(piece, syllables, beginnings, longest, unfinished_allowed and last)
            if found is None:
                break
            parsed += found
        else:
            return parsed
    return None


def _parse(piece: str, syllables: Collection[str], beginnings: Collection[str], longest: int,
           unfinished_allowed: bool) -> list[str] | None:
    failed: set[int] = set()

    def walk(start: int) -> list[str] | None:
        if start == len(piece):
            return []
        if start in failed:
            return None
        for end in range(min(len(piece), start + longest), start, -1):
            if piece[start:end] in syllables:
                rest = walk(end)
                if rest is not None:
                    return [piece[start:end], *rest]
        if unfinished_allowed and piece[start:] in beginnings:
            return [piece[start:]]
        failed.add(start)
        return None

    return walk(0)


def initials(typed: str) -> list[str] | None:
    """``xf`` → ``['x', 'f']``, ``shq`` → ``['sh', 'q']``: one beginning per syllable (zh, ch, sh
    count as one), or ``None`` when this is not a short run of initials."""
    letters = typed.replace(SEPARATOR, "")
    found: list[str] = []
    at = 0
    while at < len(letters):
        step = 2 if letters[at:at + 2] in ("zh", "ch", "sh") else 1
        found.append(letters[at:at + step])
        at += step
    return found if 2 <= len(found) <= 6 else None
