"""The keyboard's server side: handwriting recognised on the box, pinyin candidates, keys read aloud.

Nothing here changes any state, so the endpoints need no form token; the handwriting endpoint takes
JSON only (a cross-site form cannot send it without the browser asking first). Every reply is small
JSON the pad turns into big buttons, or audio.
"""
from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _

from ..db import get_db
from engines.handwriting import reader, strokes
from engines.handwriting.zinnia import ZinniaError
from ..i18n import current_locale
from ..security import csrf, from_this_box
from ..voice_views import speak_key
from .expect import expectation, the_kiosks_words

bp = Blueprint("keyboard", __name__, url_prefix="/keyboard")

SHOWN = 10  # candidates shown: two rows of five big buttons
ASKED = reader.ASKED  # candidates asked of the pinyin engine too, for the field's words to be lifted from
BEFORE_MAX = 200
SAY_MAX = 40
_SAYABLE = re.compile(r"^[\w\s，、。,.·-]+$")

def in_page_script(texts: list[str]) -> list[str]:
    """``texts`` in the page's script: Traditional pages get OpenCC's Taiwan forms (s2tw), recorded in
    the keyboard's index when it was built (loading OpenCC itself would cost this process 43 MB)."""
    if current_locale() != "zh_Hant_TW":
        return texts
    from engines import pinyin

    try:
        return pinyin.traditional(texts)
    except pinyin.PinyinUnavailable as exc:  # shown as they are: readable, if not in the page's script
        current_app.logger.warning("no Traditional forms: %s", exc)
        return texts


def for_page(texts: list[str]) -> list[str]:
    """``texts`` in the page's script, in order, duplicates dropped (two Simplified forms may share one)."""
    return list(dict.fromkeys(in_page_script(texts)))


def refusal(message: str, status: int = 400):
    return jsonify({"candidates": [], "message": message}), status


class Turns:
    """Who may use the recogniser (or the voice) now: the box's own screen first, then one phone at a time."""

    def __init__(self):
        self.phone = threading.Lock()  # the one phone request running
        self.counting = threading.Lock()
        self.screen = 0  # requests from the box's own screen running or waiting


@contextmanager
def phone_turn(what: str):
    """Whether this request may use the recogniser (or the voice) now. The box's own screen always may,
    and waits for at most the one phone request already running; phones on the Wi-Fi take turns, one at
    a time, and only while the screen is not waiting: a phone that finds another phone's request running,
    or the screen's, is told "busy" at once — never queued ahead of the screen (24 phones used to make
    the screen wait 8 s)."""
    turns = current_app.extensions.setdefault("keyboard_turns", {}).setdefault(what, Turns())
    if from_this_box():
        with turns.counting:
            turns.screen += 1
        try:
            yield True
        finally:
            with turns.counting:
                turns.screen -= 1
        return
    if turns.screen or not turns.phone.acquire(blocking=False):
        yield False
        return
    try:
        yield not turns.screen  # the screen came while this phone waited for its turn: it goes first
    finally:
        turns.phone.release()


def busy():
    return refusal(_("The kiosk is busy just now. Please try again in a moment."), 503)


@bp.post("/handwriting")
@csrf.exempt
def handwriting():
    """``{"strokes": …, "expect": …, "before": …}`` → ``{"candidates": [...], "ms": …}``, likeliest first."""
    with phone_turn("handwriting") as mine:  # before the body is even read: a busy phone costs nothing
        return read_strokes() if mine else busy()


def read_strokes():
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # "[[[[…" nested too deep for the JSON reader: not strokes
        payload = None
    try:
        drawn = strokes.parse(payload)
    except strokes.TooMuch:
        return refusal(_("That is more than one character. Please tap Write again and write one character."), 413)
    except strokes.BadStrokes:
        return refusal(_("That writing could not be read. Please write the character again."))
    if not drawn:
        return refusal(_("Please write one character on the pad with your finger."))
    expect = str(payload.get("expect") or "")[:80]
    before = str(payload.get("before") or "")[-BEFORE_MAX:]
    started = time.perf_counter()
    try:
        shown = reader.read(drawn, expectation(get_db(), expect), before, best=SHOWN)
    except ZinniaError as exc:
        current_app.logger.warning("handwriting unavailable: %s", exc)
        return refusal(_("Writing by hand is not available just now. Please use the keys."), 503)
    return jsonify({"candidates": for_page(shown), "ms": round(1000 * (time.perf_counter() - started), 1)})


@bp.get("/pinyin")
def pinyin():
    """``?letters=xingfu&before=…&expect=…`` → ``{"candidates": [{"text": "幸福", "consumed": 6}, …]}``, best first."""
    from engines import pinyin as engine  # the index opens on the first pinyin key, not at start

    try:
        before = request.args.get("before", "")[-BEFORE_MAX:]
        if current_locale() == "zh_Hant_TW":  # the field holds 樓道: the index and the texts know 楼道
            before = engine.simplified(before[-20:])
        kiosks = the_kiosks_words(get_db())  # 楼道灯 in a service's texts: 灯 likely after 楼道, in any field
        found = engine.candidates(request.args.get("letters", "")[:64], limit=ASKED, after=before, pairs=kiosks.pairs)
    except engine.PinyinUnavailable as exc:
        current_app.logger.warning("pinyin unavailable: %s", exc)
        return refusal(_("Pinyin is not available just now. Please write by hand or use the letters."), 503)
    # what goes on from the last character in the field's texts first (楼道 + deng → 灯), then the
    # field's own words (报修 before 保修 in a repair), the dictionary's order otherwise
    expected = expectation(get_db(), request.args.get("expect", "")[:80])
    last = before[-1:]
    found = sorted(found, key=lambda c: (not (last and (last, c.text[0]) in expected.pairs and expected.knows(c.text)),
                                         not expected.knows(c.text)))[:SHOWN]
    shown: dict[str, int] = {}
    for text, candidate in zip(in_page_script([c.text for c in found]), found):
        shown.setdefault(text, candidate.consumed_letters)
    return jsonify({"candidates": [{"text": text, "consumed": consumed} for text, consumed in shown.items()]})


@bp.get("/say")
def say():
    """A key, a character or the candidate row, read aloud for this visit only (never kept on the card)."""
    text = request.args.get("text", "").strip()
    if not text or len(text) > SAY_MAX or not _SAYABLE.match(text):
        abort(404)
    with phone_turn("say") as mine:
        return speak_key(text) if mine else busy()
