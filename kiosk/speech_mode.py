"""Speech mode for blind residents (EZ Access): what each page may say, known when it is rendered.

On the box's own screen every resident page carries, in place of ``<!--speech-items-->`` (templates/base.html),
a small JSON map for static/js/speech_mode.js: for each text the page's items are spoken with
(:func:`engines.speech.page_items.item_texts`, keyed by :func:`~engines.speech.page_items.text_hash`),
where its audio is; the short words every item is assembled with ("button", "selected", "Repeating",
"First item", single characters for a ticket spelled out), in the page's language and the visit's
voice; the keypad's keys (``KIOSK_EZ_KEYS``) and the starting volume (``KIOSK_EZ_VOLUME``).

- A text ``flask voice build`` pre-rendered (every page a resident meets before typing anything, and
  the words) is a static file under ``static/audio/`` (``s`` + its key): it plays at once.
- Any other text (a resident's own answers, her name, the ticket's page) is registered for this visit
  only, exactly as the page's Read aloud audio is (:mod:`kiosk.voice_views`): ``/voice/<key>`` renders
  it on demand, ``no-store``, for the visit that was shown the page (``v`` + its key). Nothing else can
  be spoken: the route knows only the texts of pages this visit was shown.

Mandarin items are spoken in the natural voice wherever the build made it (``f`` + its file: the item's
own rendering, a clip of the sentence, a character's clip); the rest, Cantonese and English, by espeak-ng
(a new user's walk: the listener made nothing of espeak-ng's Mandarin items, issue 24).
"""
from __future__ import annotations

import hashlib
import json
import re

from flask import Flask, current_app, request, url_for
from flask_babel import gettext as _

from engines.speech.clip_store import FOLDER, ClipStore
from engines.speech.clips import piece_for
from engines.speech.neural import SPEEDS as NEURAL_SPEEDS
from engines.speech.page_items import item_texts, text_hash

PLACEHOLDER = "<!--speech-items-->"
_FORM_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')
CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def vocabulary() -> dict[str, str]:
    """The words every item is assembled with, in the page's language (name → words)."""
    return {
        "button": _("button"), "link": _("link"), "heading": _("heading"), "field": _("edit field"),
        "list": _("list box"), "checkbox": _("check box"), "radio": _("radio button"),
        "selected": _("selected"), "not_selected": _("not selected"), "checked": _("checked"),
        "not_checked": _("not checked"), "blank": _("blank"), "unavailable": _("unavailable"),
        "current": _("current"), "repeating": _("Repeating"),
        "first": _("First item."), "last": _("Last item."),
        "first_again": _("There is nothing above this. This is the top of the page."),
        "last_again": _("There is nothing below this. This is the end of the page."),
        "first_plain": _("Top of the page. Press Down to go on."),
        "last_plain": _("End of the page. Press Up to go back."),
        "welcome": _("Speech mode is on. Press Up and Down to move through the page, Enter to choose, "
                     "and Help to hear what to do."),
        "help_choose": _("Press Enter to choose this."),
        "help_field": _("Type with the number keys, then press Enter."),
        "help_text": _("This is text to listen to. Press Down to hear the next item."),
        "page_is": _("This page is:"),
        "help_page": _("Press Up and Down to move from item to item. Press Enter to choose. Press Back to go "
                       "back a page. The worker key calls a community worker to help you."),
        "louder": _("Louder"), "softer": _("Softer"), "deleted": _("Deleted"),
        "calling": _("Calling a worker for you."),
        "touch_again": _("Tap again to choose it."),
    }


def _state(app: Flask) -> dict:
    return app.extensions["kiosk_speech_mode"]


def _neural_file(app: Flask, public, text: str, speed: str) -> str | None:
    """Where the natural voice already says ``text`` under static/audio: a single character's clip (the
    pieces a ticket is spelled from, 1 read 幺), the build's rendering of an item, or a clip of a receipt's
    or status page's sentence (kiosk/voice_cli.py build_clips); None if nowhere."""
    from .voice_views import neural_in_use

    voice = neural_in_use(app)
    if not voice or speed not in NEURAL_SPEEDS:
        return None
    store = ClipStore(public, voice)
    if len(text) == 1:
        piece = piece_for(text, "mandarin")
        found = store.find(piece, speed) if piece else None
        return f"{FOLDER}/{found.name}" if found else None
    key = public.key(text, "mandarin", speed, voice)
    if (public.directory / f"{key}{public.suffix}").exists():
        return f"{key}{public.suffix}"
    found = store.find(text, speed)
    return f"{FOLDER}/{found.name}" if found else None


def _ref(text: str, chosen: dict) -> str:
    """Where the audio of ``text`` is: ``f<file>`` (the natural voice's, static: Mandarin where the build made
    it), ``s<key>`` (espeak-ng's, pre-rendered, static) or ``v<key>`` (this visit's, said on demand)."""
    from .voice_views import cache_for, register_for_visit

    app = current_app._get_current_object()
    public = cache_for(app, private=False)
    if chosen["speech"] == "mandarin":
        found = _neural_file(app, public, text, chosen["speed"])
        if found:
            return "f" + found
    key = public.key(text, chosen["speech"], chosen["speed"])
    if (public.directory / f"{key}{public.suffix}").exists():
        return "s" + key
    register_for_visit(key, text, chosen["speech"], chosen["speed"])
    return "v" + key


def items_script(html: str) -> str:
    """The ``<script type="application/json" id="speech-items">`` for a page's HTML."""
    from .security import from_this_box
    from .voice_views import cache_for, choices

    app = current_app._get_current_object()
    chosen = choices()
    seen = hashlib.sha1(_FORM_TOKEN.sub("", html).encode()).hexdigest()
    texts = _state(app).get(seen)
    if texts is None:
        texts = item_texts(html)
        _state(app).put(seen, (texts,))
    else:
        texts = texts[0]
    try:
        data = {
            "suffix": cache_for(app, private=False).suffix,
            "root": request.script_root,
            "items": {text_hash(text): _ref(text, chosen) for text in texts},
            "words": {name: _ref(words, chosen) for name, words in vocabulary().items()},
            "chars": {c: _ref(c, chosen) for c in CHARACTERS},
            "keys": app.config["EZ_KEYS"],
            "volume": app.config["EZ_VOLUME"] / 100,
            "helpCall": url_for("resident.call_help"),
            "start": request.endpoint == "resident.start",
            "box": from_this_box(),
        }
    except Exception:  # never let speech break a page
        current_app.logger.exception("speech mode's items not made")
        return ""
    # "</" never appears inside the JSON: a text cannot end the script element
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="speech-items">{body}</script>'


def fill(response):
    """Put the page's speech-mode map in place of its placeholder (resident pages on the box's own screen)."""
    if response.mimetype != "text/html" or response.direct_passthrough:
        return response
    body = response.get_data()
    if PLACEHOLDER.encode() not in body:
        return response
    html = body.decode()
    from .security import from_this_box

    resident = request.blueprint not in ("worker", "health", "outcomes")  # a worker's keyboard is a keyboard
    script = items_script(html) if from_this_box() and resident else ""
    response.set_data(html.replace(PLACEHOLDER, script, 1))
    return response


def build_texts(app: Flask, pages: list[str], locale: str) -> list[str]:
    """What ``flask voice build`` pre-renders for speech mode in one page language: every item text of
    the pages a resident meets before typing anything, the words, and the single characters."""
    from flask import session

    texts: list[str] = []
    for html in pages:
        texts += item_texts(html)
    with app.test_request_context("/"):
        session["locale"] = locale
        texts += list(vocabulary().values())
    texts += list(CHARACTERS)
    return list(dict.fromkeys(texts))


def init_app(app: Flask) -> None:
    from .voice_views import Registry

    app.extensions["kiosk_speech_mode"] = Registry(size=200)  # page → its texts
    app.after_request(fill)
