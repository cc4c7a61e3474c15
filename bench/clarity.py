"""How well the kiosk's Mandarin is understood, by an independent listener (tests/listener.py: Whisper
base, offline), per voice, beside espeak-ng's measured in the same run.

    .venv/bin/python -m bench.clarity [--voices zm_yunjian,zf_xiaoyi] [--speed normal] [--beam 1] [--show]

1. Every Mandarin page prompt (every page of ``flask voice build`` for zh_Hans_CN, each distinct text
   once) is spoken by each voice and transcribed; printed: the character error rate (CER) and the
   syllable error rate (SER: by sound, tones ignored, so 养老 heard as 洋老 is no error) over all of
   them, and the SER as a ratio to its limit (5 %, issue 22) beside espeak-ng's.
2. Tickets and check codes, read as the kiosk reads them (one character at a time, with a pause between:
   ``engines.speech.text.spell_ticket``), heard back character for character (limit: all of them).

The neural voice is ``engines.speech.neural.NeuralVoice`` when that module and its weights are there;
otherwise only espeak-ng is measured and the reason is printed. :func:`measure` takes any
``render(text, voice) -> Path`` so another voice can be measured the same way. Cantonese is not
measured: Whisper base has no Cantonese of its own (it writes Cantonese speech as Mandarin text), so a
score would say more about the listener than the voice. Not a test (tests/test_voice_clarity.py keeps a
sample of it in ``make test``); the numbers go to docs/voice.md with their date.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.speech.page_text import page_text  # noqa: E402
from engines.speech.synthesiser import Synthesiser  # noqa: E402
from engines.speech.text import speakable, spell_ticket  # noqa: E402
from engines.speech.voices import RATES, VOICES  # noqa: E402
from tests import listener  # noqa: E402

SER_LIMIT = 0.05  # the neural voice's limit (issue 22); espeak-ng is printed beside it, not held to it
#: Tickets and check codes that repeat digits (where voices run them together: 0001 heard as 零零一) and
#: one that does not. B is never a ticket letter (core/tickets.py), so C stands for the third.
TICKETS = ("A0001", "A0012", "C1100", "Y9999")
CHECK_CODES = ("000100", "748213", "555055", "909090")
ESPEAK = "espeak-ng"

Render = Callable[[str, str], Path]


def mandarin_prompts() -> list[str]:
    """The distinct spoken texts of every page a resident meets before typing, on the demo catalogue,
    as ``flask voice build`` renders them for zh_Hans_CN (with their order kept)."""
    from core import addresses
    from core.actions.admin import load_address_book, load_catalogue
    from core.catalogue import DEMO_FILE
    from kiosk import create_app
    from kiosk.db import get_db
    from kiosk.voice_cli import prompt_pages

    with tempfile.TemporaryDirectory() as instance:
        saved = os.environ.get("KIOSK_INSTANCE_PATH")
        os.environ["KIOSK_INSTANCE_PATH"] = instance  # a fresh kiosk of its own, as tests/conftest.py's app
        try:
            app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
        finally:
            if saved is None:
                del os.environ["KIOSK_INSTANCE_PATH"]
            else:
                os.environ["KIOSK_INSTANCE_PATH"] = saved
        with app.app_context():
            load_catalogue(get_db(), json.loads(DEMO_FILE.read_text(encoding="utf-8")))
            load_address_book(get_db(), addresses.DEMO_FILE.read_bytes())
            texts = [speakable(page_text(html, "mandarin")) for html in prompt_pages(app, "zh_Hans_CN")]
    return list(dict.fromkeys(t for t in texts if listener.hanzi(t)))


def more_check_codes(count: int, seed: int = 20261207) -> list[str]:
    """``count`` random six-digit check codes, each with a digit repeated next to itself (where voices and
    listeners run them together), the same ones on every run."""
    rng, codes = random.Random(seed), []
    while len(codes) < count:
        code = "".join(rng.choice("0123456789") for _ in range(6))
        if any(a == b for a, b in zip(code, code[1:])) and code not in CHECK_CODES + tuple(codes):
            codes.append(code)
    return codes


def code_texts(more: int = 0) -> list[tuple[str, str]]:
    """(what is meant, what is said) for each ticket and check code (and ``more`` random check codes,
    :func:`more_check_codes`), as the kiosk says them: espeak-ng the whole text (a kiosk without the
    neural voice); the neural voice from its clips (:data:`CLIPPED`)."""
    said = [(ticket, spell_ticket(ticket, "mandarin")) for ticket in TICKETS]
    # the check code as the receipt says it after the ticket: "查询码：7，4，8，…"
    said += [(code, spell_ticket("A0001", "mandarin", code).split("。", 1)[1])
             for code in CHECK_CODES + tuple(more_check_codes(more))]
    CLIPPED.update({text: code for code, text in said})
    return said


CLIPPED: dict[str, str] = {}  # what is said → the ticket or code it spells


def espeak_render(work: Path, speed: str = "normal") -> tuple[Render, Callable[[], None]]:
    synthesiser = Synthesiser()
    count = iter(range(10 ** 9))

    def render(text: str, voice: str) -> Path:
        return synthesiser.synthesize(text, VOICES["mandarin"], RATES[speed], work / f"espeak-{next(count)}.wav")
    return render, synthesiser.close


def neural_render(work: Path, speed: str = "normal") -> tuple[Render | None, Callable[[], None], str]:
    """The neural voice's render, or None and why not."""
    try:
        from engines.speech.neural import NeuralUnavailable, NeuralVoice  # the lead's engine (issue 22)
    except ImportError:
        return None, lambda: None, "neural voice not installed (no engines.speech.neural)"
    try:
        voice_engine = NeuralVoice()
    except NeuralUnavailable as exc:
        return None, lambda: None, f"neural voice not installed: {exc}"
    count = iter(range(10 ** 9))
    from engines.speech.cache import SpeechCache
    from engines.speech.clip_store import ClipStore
    from engines.speech.clips import assemble, needed, ticket_parts

    def render(text: str, voice: str) -> Path:
        if text in CLIPPED:  # a ticket or code: as the receipt says it, joined from clips (engines/speech/clips.py)
            store = ClipStore(SpeechCache(work / "clips" / voice, neural_voice=voice_engine), voice)
            code = CLIPPED[text]
            parts = ticket_parts(code, "mandarin") if code in TICKETS else ticket_parts("A0001", "mandarin", code)[2:]
            for piece in needed(parts, "mandarin"):
                store.render(piece, speed)
            out = work / f"{voice}-{next(count)}.wav"
            out.write_bytes(assemble(parts, lambda piece: store.find(piece, speed), 24000, "mandarin"))
            return out
        return voice_engine.synthesize(text, voice, speed, work / f"{voice}-{next(count)}.wav")
    return render, voice_engine.close, ""


def measure(render: Render, voice: str, prompts: list[str], codes: list[tuple[str, str]], beam: int = listener.BEAM_SIZE,
            show: bool = False) -> dict:
    """Speak every prompt and code in ``voice``, listen, and add up the errors."""
    score = listener.Score()
    codes_right, missed = 0, []
    started = time.perf_counter()
    for text in prompts:
        heard = listener.transcribe(render(text, voice), beam_size=beam)
        score.add(text, heard)
        if show:
            print(f"  [{voice}] said  {text}\n  [{voice}] heard {heard}  (SER {listener.syllable_error_rate(text, heard):.0%})")
    for code, text in codes:
        heard = listener.transcribe(render(text, voice), beam_size=beam)
        if listener.code_heard_right(code, heard):
            codes_right += 1
        else:
            shown = heard if len(heard) <= 40 else heard[:40] + "…"
            missed.append(f"{code} heard as {shown!r} (read: {listener.heard_code(heard)[:12] or 'nothing'})")
    return {"voice": voice, "score": score, "codes_right": codes_right, "codes": len(codes), "missed": missed,
            "seconds": time.perf_counter() - started}


def report(result: dict, espeak: dict | None) -> str:
    score = result["score"]
    line = (f"{result['voice']:>12}: SER {score.ser:6.1%} (ratio to the 5 % limit {score.ser / SER_LIMIT:5.2f}x), "
            f"CER {score.cer:6.1%}")
    if espeak is not None and espeak is not result:
        line += f"; espeak-ng in this run SER {espeak['score'].ser:6.1%}, CER {espeak['score'].cer:6.1%}"
    line += (f"; tickets and codes heard right {result['codes_right']}/{result['codes']}"
             f" (ratio to the limit {result['codes_right'] / result['codes']:.2f}x) [{result['seconds']:.0f} s]")
    for miss in result["missed"]:
        line += f"\n{'':>14}missed: {miss}"
    return line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voices", default="zm_yunjian,zf_xiaoyi", help="neural voices to measure (comma-separated)")
    parser.add_argument("--speed", default="normal", choices=sorted(RATES))
    parser.add_argument("--beam", type=int, default=listener.BEAM_SIZE, help="the listener's beam size")
    parser.add_argument("--limit", type=int, default=0, help="only the first N prompts (a quick look)")
    parser.add_argument("--more-codes", type=int, default=0,
                        help="N more random check codes with repeated digits (fixed seed)")
    parser.add_argument("--show", action="store_true", help="print what was said and heard, prompt by prompt")
    args = parser.parse_args(argv)

    prompts = mandarin_prompts()
    if args.limit:
        prompts = prompts[: args.limit]
    codes = code_texts(args.more_codes)
    print(f"{len(prompts)} Mandarin prompts ({sum(len(listener.syllables(p)) for p in prompts)} syllables), "
          f"{len(codes)} tickets and codes; listener: Whisper base int8, beam {args.beam}, one thread")
    work = Path(tempfile.mkdtemp())
    try:
        render, close = espeak_render(work, args.speed)
        try:
            espeak = measure(render, ESPEAK, prompts, codes, args.beam, args.show)
        finally:
            close()
        print(report(espeak, None))
        render, close, why_not = neural_render(work, args.speed)
        if render is None:
            print(why_not + ": espeak-ng only")
            return
        try:
            for voice in [v for v in args.voices.split(",") if v]:
                print(report(measure(render, voice, prompts, codes, args.beam, args.show), espeak))
        finally:
            close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
