"""``flask --app kiosk voice …``: pre-render every page prompt, and say things from the shell."""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import click
from flask import Flask, current_app, render_template, session
from flask_babel import gettext as _
from flask.cli import AppGroup

from core.catalogue import get_service, list_groups
from core.clock import utc_now
from core.submissions import SavedRequest

from . import speech_mode
from .db import get_db
from .i18n import LOCALES, when
from engines.speech import clips
from engines.speech.clip_store import ClipStore
from engines.speech.page_text import Words, page_parts, page_text
from engines.speech.text import spell_ticket
from engines.speech.voices import RATES, VOICES
from .voice_views import cache_for, neural_voice
from engines.speech.cache import SpeechCache
from engines.speech.neural import NeuralUnavailable, NeuralVoice
from engines.speech.synthesiser import SpeechError

voice_cli = AppGroup("voice", help="Speech: pre-render page prompts, or say something.")
#: Which voices each page language is pre-rendered in (the resident may switch between Chinese voices).
SPEECH_FOR_LOCALE = {"zh_Hans_CN": ("mandarin", "cantonese"), "zh_Hant_TW": ("cantonese", "mandarin"), "en": ("english",)}


def prompt_pages(app: Flask, locale: str):
    """Yield the HTML of every page a resident meets before typing anything of their own."""
    client = app.test_client()
    client.post("/language", data={"locale": locale})
    for path in ("/", "/help", "/status"):
        yield client.get(path).get_data(as_text=True)
    codes = [s.code for g in list_groups(get_db(), locale) for s in g["services"]]
    for code in codes:
        yield client.get(f"/services/{code}").get_data(as_text=True)
        client.post(f"/services/{code}")
        service = get_service(get_db(), code, locale)
        # A question answered from the address book opens on its chooser's first level (a redirect).
        for question in service.questions:
            yield client.get(f"/request/questions/{question.code}", follow_redirects=True).get_data(as_text=True)
        if service.needs_details:
            yield client.get("/request/about-you", follow_redirects=True).get_data(as_text=True)
        if service.needs_address:
            yield client.get("/request/about-you/address", follow_redirects=True).get_data(as_text=True)
            if app.config["COUNTY_LOCATION"] == "home":  # may the county show her address (kiosk/resident/home.py)
                yield client.get("/request/about-you/address/public").get_data(as_text=True)
        yield client.get("/request/contact").get_data(as_text=True)


STAND_IN_DATE = "2000-01-01T00:00:00+00:00"


def ticket_pages(app: Flask, locale: str):
    """The pages that carry a ticket — every service's receipt and status page, in each state a resident
    can find it — with a stand-in ticket and none of her own words: their fixed sentences (the questions
    and every option she can choose, the ladder's steps, the loop question) become clips of the neural
    voice (engines/speech/clip_store.py). What she typed, dates and the county's notes never are: they
    are said by espeak-ng when she asks, and not kept."""
    from .resident.feedback import ICONS, SOLVED
    from .status import STEPS, Step

    with app.test_request_context("/"):
        session["locale"] = locale
        ladders = [[Step(key, str(label), index <= highest, index == highest) for index, (key, label) in enumerate(STEPS)]
                   for highest in range(len(STEPS))]
        for group in list_groups(get_db(), locale):
            for listed in group["services"]:
                service = get_service(get_db(), listed.code, locale)
                saved = SavedRequest(0, "", "A0001", "000000", listed.code, locale, {}, STAND_IN_DATE)
                rows = [{"key": _("Date"), "value": when(STAND_IN_DATE)}]  # as flow.receipt_rows: the label, not the date
                rows += [{"key": q.text, "value": label} for q in service.questions for _key, label in q.options]
                yield render_template("resident/receipt.html", saved=saved, service=service, rows=rows, qr="")
                for steps in ladders:
                    for ask, waiting in ((None, ""), (1, ""), (None, "refused"), (None, "waiting")):
                        closing = {"ask": ask, "given": None, "reopened": None, "reopens": None,
                                   "solved_options": SOLVED, "icons": ICONS}
                        yield render_template("resident/status.html", saved=saved, service=service, steps=steps,
                                              proof={}, closing=closing, not_taken_yet=waiting,
                                              centre_phone=app.config["CENTRE_PHONE"].strip())


def build_clips(app: Flask, cache: SpeechCache, voice: str, speeds, locales) -> tuple[int, int, int]:
    """The neural voice's clips: every piece a ticket, code or telephone number is spelled from, and every
    fixed sentence of the pages that carry a ticket. Returns (made, already there, failed)."""
    store = ClipStore(cache, voice)
    texts = list(clips.pieces_for("mandarin")) + clips.date_pieces()
    for locale in locales:
        if "mandarin" in SPEECH_FOR_LOCALE[locale]:
            with app.test_request_context("/"):
                session["locale"] = locale
                stand_in = when(STAND_IN_DATE)  # a sentence with the stand-in's date is never a resident's
            for html in ticket_pages(app, locale):
                texts += [part.text for part in clips.with_dates(page_parts(html, "mandarin"))
                          if isinstance(part, Words) and stand_in not in part.text]
    made = kept = failed = 0
    for speed in speeds:
        for text in dict.fromkeys(texts):
            try:
                if store.render(text, speed):
                    made += 1
                else:
                    kept += 1
            except SpeechError as exc:
                failed += 1
                click.echo(f"clip not rendered ({speed}): {exc}", err=True)
    return made, kept, failed


REPORT = "voice_build.json"


def write_report(app: Flask, found: dict) -> None:
    """What the last build did, for the health page (which voice is speaking, and why)."""
    path = Path(app.instance_path) / REPORT
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps({**found, "finished": utc_now()}, ensure_ascii=False))
    os.replace(partial, path)


def last_report(app: Flask) -> dict | None:
    try:
        return json.loads((Path(app.instance_path) / REPORT).read_text())
    except (OSError, ValueError):
        return None


@voice_cli.command("build")
@click.option("--speed", "speeds", multiple=True, type=click.Choice(sorted(RATES)), help="Speeds to render (default: all).")
@click.option("--locale", "locales", multiple=True, type=click.Choice(sorted(LOCALES)),
              help="Page languages to render (default: all; a centre that shows only some may save the time).")
def build_command(speeds: tuple[str, ...], locales: tuple[str, ...]) -> None:
    """Pre-render the spoken prompt of every page, in every language and voice, into static/audio/."""
    app = current_app._get_current_object()
    app.config["WTF_CSRF_ENABLED"] = False  # pages are fetched in-process, not by a browser
    public = cache_for(app, private=False)
    voice, cache, why = neural_voice(app), public, ""
    try:  # the neural voice, in its own process, for this build only (never in the web process)
        cache = SpeechCache(public.directory, public.synthesiser, neural_voice=NeuralVoice())
        with tempfile.TemporaryDirectory() as folder:  # damaged weights: said once, and espeak-ng speaks
            cache.neural.synthesize("你好。", voice, "normal", Path(folder) / "probe.wav")
        click.echo(f"Mandarin in the neural voice ({voice}); Cantonese and English in espeak-ng")
    except SpeechError as exc:  # not installed (NeuralUnavailable), or damaged
        if cache.neural is not None:
            cache.neural.close()
        voice, cache, why = None, public, str(exc)
        click.echo(f"Mandarin in espeak-ng: {exc}")
    started, rendered, kept, failed = time.perf_counter(), 0, 0, 0
    locales = locales or tuple(LOCALES)
    pages = {locale: list(prompt_pages(app, locale)) for locale in locales}
    items = {locale: speech_mode.build_texts(app, pages[locale], locale) for locale in locales}
    for speed in speeds or sorted(RATES):  # speed outermost: each espeak-ng speed is one worker process
        for locale in locales:
            for speech in SPEECH_FOR_LOCALE[locale]:
                chosen = voice if speech == "mandarin" else None  # Mandarin in the natural voice, items too
                prompts = [(text, "") for text in (page_text(html, speech) for html in pages[locale]) if text]
                # speech mode's items (kiosk/speech_mode.py): each text of these pages, the words, the
                # characters; with the natural voice a single character is its clip (build_clips) instead
                prompts += [(text, "item ") for text in items[locale] if not (chosen and len(text) == 1)]
                for text, what in prompts:
                    if cache.path(text, speech, speed, chosen).exists():
                        kept += 1
                        continue
                    # One prompt that fails (espeak-ng hung twice, opusenc too slow on a busy box) must not
                    # stop the others: it is spoken when a resident first asks for it, as without a build.
                    try:
                        cache.get(text, speech, speed, chosen)
                        rendered += 1
                    except SpeechError as exc:
                        failed += 1
                        click.echo(f"{what}not rendered ({locale}, {speech}, {speed}): {exc}", err=True)
    if cache.neural is not None:
        made, there, not_made = build_clips(app, cache, voice, speeds or sorted(RATES), locales)
        click.echo(f"{made} clips of the neural voice rendered, {there} already there, {not_made} failed")
        failed += not_made
        cache.neural.close()
    cache.synthesiser.close()
    took = time.perf_counter() - started
    click.echo(f"{rendered} prompts rendered, {kept} already there, {failed} failed, in {took:.1f} s ({cache.directory})")
    write_report(app, {"voice": voice, "why_not_neural": why, "rendered": rendered, "kept": kept, "failed": failed,
                       "seconds": round(took, 1)})
    if failed:  # a failed run is retried by its unit (Restart=on-failure) and keeps what it made
        raise SystemExit(1)


@voice_cli.command("say")
@click.argument("text")
@click.option("--speech", type=click.Choice(sorted(VOICES)), default="mandarin")
@click.option("--speed", type=click.Choice(sorted(RATES)), default="normal")
@click.option("--ticket", is_flag=True, help="Read TEXT as a ticket number, one character at a time.")
def say_command(text: str, speech: str, speed: str, ticket: bool) -> None:
    """Render TEXT to a WAV file and print its path (for checking what a voice sounds like)."""
    cache = cache_for(current_app._get_current_object(), private=True)
    words = spell_ticket(text, speech) if ticket else text
    click.echo(str(cache.get(words, speech, speed)))
    cache.synthesiser.close()


def init_app(app: Flask) -> None:
    app.cli.add_command(voice_cli)
