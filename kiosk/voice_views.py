"""Speech on the pages: the Read aloud control, the resident's speech choices, and audio on demand.

After a resident page is rendered, its ``<main>`` text (what the page shows) is turned into an audio
address that replaces the ``<!--speech-audio-->`` placeholder in the page's speech panel:

- pre-rendered prompts (``flask --app kiosk voice build``) are static files under
  ``static/audio/``, served with long immutable caching;
- anything else (a resident's own answers, a receipt) is rendered on demand by ``/voice/<key>``, for
  the visit that was shown the page only (a random id in its session), sent with ``no-store``; its
  file is deleted at once, and the words and audio stay only in this process's bounded memory.

The page never waits for audio: the ``<audio>`` element loads only when played.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from markupsafe import escape

from .i18n import current_locale
from .security import local_path, session_less_form
from engines.speech.cache import MIME, SpeechCache
from engines.speech.neural import installed, voice_name
from engines.speech.clip_store import ClipStore, speak_parts
from engines.speech.clips import ClipsUnavailable, piece_for
from engines.speech.page_text import Spell, page_parts, page_text
from engines.speech.voices import RATES, VOICES, default_speech
from engines.speech.synthesiser import SpeechError

bp = Blueprint("voice", __name__)
PLACEHOLDER = b"<!--speech-audio-->"
_FORM_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')
PRIVATE_TTL = 24 * 3600


class _Registry:
    """A bounded, thread-safe map in memory, oldest entries dropped first (audio keys, page words)."""

    def __init__(self, size: int = 2000):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def put(self, key: str, value: tuple) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def get(self, key: str):
        with self.lock:
            return self.items.get(key)


Registry = _Registry  # also speech mode's page → texts (kiosk/speech_mode.py)


def register_for_visit(key: str, text: str, speech: str, speed: str) -> None:
    """Let this visit (only) ask ``/voice/<key>`` for ``text``: speech mode's items (kiosk/speech_mode.py)."""
    _state(current_app._get_current_object())["registry"].put(f"{_owner()}:{key}", (text, speech, speed, None))


def choices() -> dict:
    """The resident's speech choices for this visit: voice, speed, always read."""
    speech = session.get("speech")
    if speech not in VOICES:
        speech = default_speech(current_locale(), list(request.accept_languages), current_app.config["CHINESE_SPEECH"])
    speed = session.get("speed") if session.get("speed") in RATES else "normal"
    return {"speech": speech, "speed": speed, "always": bool(session.get("always_read"))}


def _state(app: Flask) -> dict:
    return app.extensions["kiosk_voice"]


def neural_voice(app: Flask) -> str | None:
    """The neural voice Mandarin prompts are looked for in (the centre's ``VOICE``), or None where
    the neural voice is not installed: then only espeak-ng's are."""
    return voice_name(app.config["VOICE"]) if installed() else None


def neural_in_use(app: Flask) -> str | None:
    """The neural voice this app looks for Mandarin audio in (found once at start), or None."""
    return _state(app)["neural"]


def cache_for(app: Flask, private: bool) -> SpeechCache:
    state = _state(app)
    return state["private"] if private else state["public"]


def audio_for_page(response):
    """Fill the speech panel's placeholder with the address of this page's audio.

    Pre-rendered audio is named by its inputs, so a file never changes: :mod:`kiosk.static_files`
    tells browsers to keep it for good, whether WhiteNoise or Flask's static route sends it.
    """
    if response.mimetype != "text/html" or response.direct_passthrough:
        return response
    body = response.get_data()
    if PLACEHOLDER not in body:
        return response
    html = body.decode()
    response.set_data(html.replace(PLACEHOLDER.decode(), audio_element(html), 1))
    return response


def audio_element(html: str) -> str:
    """The speech panel's ``<audio>`` for a whole page's HTML (its ``<main>``): what fills the placeholder.
    Also for a fragment that brings a page's new words (the help page, once a worker answers)."""
    app = current_app._get_current_object()
    chosen = choices()
    public = cache_for(app, private=False)
    # Reading a page's words costs more than rendering it: remember them per page content (the
    # form token, different for every visitor, left out), voice and speed.
    main = _FORM_TOKEN.sub("", html[html.find("<main"):html.find("</main>")])
    seen = (hashlib.sha1(main.encode()).hexdigest(), chosen["speech"], chosen["speed"])
    remembered = _state(app)["pages"].get(seen)
    if remembered is None:
        text = page_text(html, chosen["speech"])
        # a ticket, a check code, a telephone number: joined from the neural voice's clips when asked for
        parts = page_parts(html, "mandarin") if chosen["speech"] == "mandarin" and _state(app)["neural"] else []
        parts = parts if any(isinstance(part, Spell) for part in parts) else None
        keys = []  # the neural voice's rendering first, where there may be one; then espeak-ng's
        try:
            if text and chosen["speech"] == "mandarin" and _state(app)["neural"]:
                keys.append(public.key(text, "mandarin", chosen["speed"], _state(app)["neural"]))
            if text:
                keys.append(public.key(text, chosen["speech"], chosen["speed"]))
        except Exception:  # never let speech break a page
            keys = []
        _state(app)["pages"].put(seen, (text, keys, parts))
    else:
        text, keys, parts = remembered
    # the keys are the files' names: no need to derive them again (a build may add one at any time)
    ready = next((key for key in keys if (public.directory / f"{key}{public.suffix}").exists()), None)
    key = keys[-1] if keys else ""
    if not key or not text:
        src = ""
    elif ready:
        src = f"{request.script_root}/static/audio/{ready}{public.suffix}"
    else:
        owner = _owner()
        _state(app)["registry"].put(f"{owner}:{key}", (text, chosen["speech"], chosen["speed"], parts))
        src = f"{request.script_root}/voice/{key}"
    return (f'<audio class="speech__audio" id="speech-audio" controls preload="none" src="{escape(src)}"'
            f'{" data-autoplay" if chosen["always"] else ""}></audio>') if src else ""


@bp.get("/voice/<key>")
def audio(key: str):
    """Audio for a page this visit was shown moments ago: rendered now, sent, and not kept anywhere."""
    app = current_app._get_current_object()
    wanted = _state(app)["registry"].get(f"{session.get('voice_owner', '')}:{key}")
    if wanted is None:
        abort(404)  # another visit's words, or a page nobody here was shown
    _purge_old(cache_for(app, private=True).directory)
    text, speech, speed, parts = wanted
    if parts:
        try:
            return _assembled(app, parts, speed)
        except (ClipsUnavailable, SpeechError) as exc:  # no clips yet: the whole page in espeak-ng, as before
            current_app.logger.info("speech not assembled from clips: %s", exc)
    return speak_once(text, speech, speed)


def speak_key(text: str):
    """One key read aloud (a digit or letter of a ticket being typed, one character): its clip of the
    natural voice where the build made it, else what :func:`speak_once` says (espeak-ng)."""
    app, chosen = current_app._get_current_object(), choices()
    piece = piece_for(text, "mandarin") if len(text) == 1 and chosen["speech"] == "mandarin" else None
    voice = _state(app)["neural"]
    found = ClipStore(cache_for(app, private=False), voice).find(piece, chosen["speed"]) if piece and voice else None
    if found is None:
        return speak_once(text)
    response = current_app.response_class(found.read_bytes(), mimetype="audio/wav")
    response.headers["Cache-Control"] = "no-store"  # which key she pressed is hers
    return response.make_conditional(request, accept_ranges=True, complete_length=found.stat().st_size)


def _assembled(app: Flask, parts: list, speed: str):
    """A page with a ticket (the receipt) joined from the neural voice's clips, her own answers said by
    espeak-ng; never written to the card. The ``X-Speech-Plain`` header says how many sentences
    espeak-ng said."""
    state = _state(app)
    # the media element asks again for byte ranges, and Read aloud may be tapped again: a visit's last
    # few joined pages are kept in memory (four of at most 2 MB: a receipt is ~1 MB), as speak_once does
    key = _owner() + ":" + hashlib.sha256(repr((parts, speed)).encode()).hexdigest()
    held = state["joined"].get(key)
    if held is None or held[0] < time.time() - HEARD_SECONDS:
        held = (time.time(), *speak_parts(parts, ClipStore(cache_for(app, private=False), state["neural"]), speed,
                                          state["plain"]))
        if len(held[1]) <= 2 * 1024 * 1024:
            state["joined"].put(key, held)
    _, data, plain = held
    response = current_app.response_class(data, mimetype="audio/wav")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Speech-Plain"] = str(plain)
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def _owner() -> str:
    """Whose on-demand audio this is: the visit's random id, once the visit has anything of its own.

    A first look at a page (no session, no draft) holds nothing personal and gets no session for it;
    its audio is still reachable only by a key derived from the page's words (128 bits).
    """
    if session or request.cookies.get("kiosk_draft"):
        return session.setdefault("voice_owner", secrets.token_hex(16))
    return ""


HEARD_SECONDS = 600  # how long a visit's own audio stays in memory for replays and range requests
HEARD_MAX_BYTES = 512 * 1024  # longer audio (WAV without opusenc) is rendered again when asked


def speak_once(text: str, speech: str | None = None, speed: str | None = None):
    """Audio of ``text`` (in the visit's voice unless given) for this visit only.

    Rendered, read into memory and its file deleted at once, so words about one resident are never
    left on the card; kept in memory, under the visit's random id, for ten minutes (the media element
    asks for byte ranges, and Read aloud may be tapped again). A visit that ends loses its id.
    """
    chosen = choices()
    speech, speed = speech or chosen["speech"], speed or chosen["speed"]
    app = current_app._get_current_object()
    owner = _owner()
    wanted = (text, speech, speed)
    key = owner + ":" + hashlib.sha256(repr(wanted).encode()).hexdigest()
    held = _state(app)["heard"].get(key)
    if held is None or held[0] < time.time() - HEARD_SECONDS:
        held = (time.time(), *_render_once(app, *wanted))
        if len(held[1]) <= HEARD_MAX_BYTES:  # 48 entries of at most 512 kB: never more than 24 MB
            _state(app)["heard"].put(key, held)
    _, data, mimetype = held
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def _render_once(app: Flask, text: str, speech: str, speed: str) -> tuple[bytes, str]:
    """Synthesise into the private folder, read the bytes, delete the file."""
    private = cache_for(app, private=True)
    for _attempt in (1, 2):  # the same words asked for twice at once: the other reply took the file
        try:
            path = private.get(text, speech, speed)
            data = path.read_bytes()
            break
        except FileNotFoundError:
            continue
        except SpeechError as exc:
            current_app.logger.warning("speech unavailable: %s", exc)
            abort(503)
    else:
        abort(503)
    path.unlink(missing_ok=True)
    return data, MIME[path.suffix]


@bp.get("/speech", endpoint="settings")
@session_less_form()
def settings_page():
    """Voice settings: which voice, how fast, and whether to read every page aloud."""
    back = local_path(request.args.get("next"))
    return render_template("resident/speech_settings.html", chosen=choices(), back=back)


@bp.post("/speech")
@session_less_form(shown_by="voice.settings")
def speech_choices():
    """Choose Mandarin, Cantonese or English speech, normal or slow, and whether to read every page."""
    if request.form.get("speech") in VOICES:
        session["speech"] = request.form["speech"]
    if request.form.get("speed") in RATES:
        session["speed"] = request.form["speed"]
    if request.form.get("always") in ("on", "off"):
        session["always_read"] = request.form["always"] == "on"
    back = local_path(request.form.get("next"))
    return redirect(url_for("voice.settings", next=back))


_last_purge = [0.0]


def _purge_old(directory: Path) -> None:
    """Delete on-demand audio older than a day (it may hold a resident's words); at most once a minute."""
    now = time.time()
    if now - _last_purge[0] < 60 or not directory.exists():
        return
    _last_purge[0] = now
    for path in directory.iterdir():
        try:
            if now - path.stat().st_mtime > PRIVATE_TTL:
                path.unlink()
        except OSError:
            pass


def init_app(app: Flask, static_audio: Path) -> None:
    from engines.speech.synthesiser import Synthesiser

    synthesiser = Synthesiser(timeout=app.config.get("VOICE_TIMEOUT", 10.0))
    app.extensions["kiosk_voice"] = {
        "public": SpeechCache(static_audio, synthesiser),
        "private": SpeechCache(Path(app.instance_path) / "audio", synthesiser),
        "registry": _Registry(size=8000),  # pages' audio and speech mode's items (kiosk/speech_mode.py)
        "pages": _Registry(),
        "heard": _Registry(size=48),  # a few visits' own audio, in memory only (speak_once)
        "joined": _Registry(size=4),  # …and the last few pages joined from clips (_assembled)
        "neural": neural_voice(app),  # looked for, never run, here: see engines/speech/neural.py
        # her own words on a page assembled from clips, said by espeak-ng as WAV and deleted at once
        "plain": SpeechCache(Path(app.instance_path) / "audio" / "plain", synthesiser, fmt="wav"),
    }
    app.register_blueprint(bp)
    app.after_request(audio_for_page)
    app.jinja_env.globals["speech_choices"] = choices
    app.jinja_env.globals["SPEECH_VOICES"] = list(VOICES)
