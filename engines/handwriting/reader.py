"""One written character read the kiosk's way — the one path the endpoint, the bench and the tests share.

1. the drawing is fitted into the middle of zinnia's box (:mod:`.strokes`);
2. zinnia proposes 40 characters (:mod:`.zinnia`), which are re-ranked by what the field expects
   (:func:`.rerank.rerank`);
3. where the field expects particular characters, the shape matcher (:mod:`.shapes`), which ignores
   stroke order, proposes the closest of them, and :func:`.rerank.combine` gives them the second row
   (and the first place, when the closest goes on from the character before and zinnia's first does not).

A missing font only loses step 3 (logged); a missing zinnia raises :class:`.zinnia.ZinniaError`.
"""
from __future__ import annotations

import logging

from .rerank import NOTHING, Expectation, combine, rerank
from .strokes import BOX, Strokes, fitted
from .zinnia import recognizer

ASKED = 40  # candidates asked of zinnia, for re-ranking to choose from
log = logging.getLogger(__name__)


def read(drawn: Strokes, expected: Expectation = NOTHING, before: str = "", best: int = 10) -> list[str]:
    """The ``best`` characters to show for ``drawn``, written after ``before`` in a field expecting ``expected``."""
    box = fitted(drawn)
    asked = [c.character for c in recognizer().classify(box, size=BOX, best=ASKED)]
    ranked = rerank(asked, expected, before, best=ASKED)
    if not expected.characters:
        return ranked[:best]
    from . import shapes  # Pillow and the font load on the first field that expects something

    try:
        shaped = [character for character, _ in shapes.closest(box, expected.characters, best=best)]
    except shapes.ShapeError as exc:
        log.warning("the shape matcher is unavailable, zinnia alone: %s", exc)
        return ranked[:best]
    return combine(ranked, shaped, best=best, expected=expected, before=before)
