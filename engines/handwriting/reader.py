"""One written character read the kiosk's way — the one path the endpoint, the bench and the tests share.

1. the drawing is fitted into the middle of zinnia's box (:mod:`.strokes`);
2. three readers propose characters:

   - zinnia (:mod:`.zinnia`, which follows the order of the strokes), its 40 re-ranked by what the
     field expects (:func:`.rerank.rerank`);
   - the common characters' reader (:mod:`.common`), which ignores stroke order and knows the 3,755
     characters of GB 2312 level 1, its 40 re-ranked by the same rule;
   - where the field expects characters outside GB 2312 level 1 (巷, 幢), the shape matcher
     (:mod:`.shapes`), which also ignores stroke order, among those only. Among the field's common
     characters it would be a second vote from the same picture: it always proposes field characters
     that look like the drawing, the common reader's ten often hold the same ones, and two votes beat
     the common reader's one first place even when the resident wrote a character the field does not
     expect (measured: bench/handwriting.py, docs/performance.md);

3. :func:`.rerank.fuse` merges their lists, with one more vote for what goes on from the character
   before (a word of wordfreq's Chinese list, or a pair in the field's texts).

The order of trust when two readers disagree and nothing else speaks: the common characters' reader
(it reads every order alike), then zinnia, then the field's shapes. A missing font or index only loses
that reader (logged); a missing zinnia raises :class:`.zinnia.ZinniaError`.
"""
from __future__ import annotations

import logging

from .rerank import NOTHING, Expectation, fuse, rerank
from .strokes import BOX, Strokes, fitted
from .zinnia import recognizer

ASKED = 40  # candidates asked of zinnia, for re-ranking to choose from
log = logging.getLogger(__name__)


def common_reader():
    """The common characters' index, or None (logged once a process) where it is not built."""
    from . import common

    try:
        return common.index()
    except common.CommonUnavailable as exc:
        global _warned
        if not _warned:
            log.warning("the common characters' reader is unavailable: %s", exc)
            _warned = True
        return None


_warned = False


def read(drawn: Strokes, expected: Expectation = NOTHING, before: str = "", best: int = 10) -> list[str]:
    """The ``best`` characters to show for ``drawn``, written after ``before`` in a field expecting ``expected``."""
    box = fitted(drawn)
    asked = [c.character for c in recognizer().classify(box, size=BOX, best=ASKED)]
    ranked = rerank(asked, expected, before, best=best)
    index = common_reader()
    common = rerank(index.closest(box, best=ASKED), expected, before, best=best) if index is not None else []
    shaped: list[str] = []
    uncommon = expected.characters - set(index.characters) if index is not None else expected.characters
    if uncommon:
        from . import shapes  # Pillow and the font load on the first field that expects something

        try:
            shaped = [character for character, _ in shapes.closest(box, frozenset(uncommon), best=best)]
        except shapes.ShapeError as exc:
            log.warning("the shape matcher is unavailable: %s", exc)

    def goes_on(text: str, character: str) -> bool:
        return (text[-1], character) in expected.pairs or (index is not None and index.goes_on(text, character))

    return fuse([common, ranked, shaped], best=best, goes_on=goes_on, before=before)
