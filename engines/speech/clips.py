"""Speech assembled from pre-rendered clips: what changes per resident (a ticket, a check code, a
telephone number) read from one clip per character, with a real pause between characters.

A ticket spelled inside one long utterance runs together ("0001" is heard as 零零一, the last digits
swallowed), and a neural voice is no better at it. Here each character is a clip of its own, the
clips of one speech are rendered once (:func:`pieces_for` lists them for ``flask voice build``), and
a page or a ticket is joined from them in a few milliseconds: no synthesis while a resident waits.

Nothing here knows which engine made a clip. The caller passes ``clip_for(text) -> Path | None``:
the WAV file (mono, 16-bit PCM) already rendered for a piece or a sentence, or ``None``. When a clip
is missing or unlike the others, :func:`assemble` raises :class:`ClipsUnavailable` and the caller
falls back to rendering the page's whole text (:func:`engines.speech.page_text.page_text`) as before.

Digits in Mandarin: 1 is read **幺** (yāo), not 一 (yī). The kiosk's tickets use the letter E
(:data:`core.tickets.LETTERS`), whose usual Chinese reading 伊 is the very sound of 一 (espeak-ng
gives both ``j'i55``), and 一 and 七 (qī) differ by one soft consonant that old ears lose first. 幺 is
how Mandarin speakers already read telephone, room and bus numbers aloud, so residents know it; one
reading for every spelled item means a digit always sounds the same. Cantonese keeps 一 (jat1 and
cat1 are far apart) and letters as English letter names, as Cantonese speakers say them.

Letters in Mandarin are given as the Chinese-character approximations older speakers use (A 诶,
B 比, C 西 …, :data:`MANDARIN_LETTERS`): a Chinese front end (espeak-ng's, a neural voice's) drops or
misreads a bare Latin letter, but reads these. The neural voice takes phonemes, and is given the
letter's name (:data:`letter_phonemes`, read back with :func:`phonemes_for`): an independent listener
understood those far better.
"""
from __future__ import annotations

import io
import re
import sys
import wave
from array import array
from pathlib import Path
from typing import Callable, Iterable, Optional

from .page_text import ENDINGS, Part, Spell, Words

#: Silence between two spelled characters: long enough that 0 0 0 1 are four digits, not 零零一.
SPELL_PAUSE = 0.3
#: Silence after a sentence, and after a spelled item.
SENTENCE_PAUSE = 0.6
#: Silence for a separator inside a spelled item (the dash of ``0755-1234``), instead of a word.
GROUP_PAUSE = 0.5
#: Characters of a spelled item that are heard as a pause, not read.
SEPARATORS = frozenset("-–—_·./()")
#: A clip's leading and trailing samples quieter than this (of 32767, about -40 dBFS) are cut, so the
#: pauses are the ones chosen here, whatever silence the engine put around a single character …
QUIET = 330
#: … keeping this much of it either side (seconds), so no consonant's onset or tail is cut.
MARGIN = 0.015
_SENTENCE_END = tuple("。！？!?.；;")

MANDARIN_DIGITS = dict(zip("0123456789", "零幺二三四五六七八九"))
CANTONESE_DIGITS = dict(zip("0123456789", "零一二三四五六七八九"))
ENGLISH_DIGITS = dict(zip("0123456789", ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")))
#: Letters as older Mandarin speakers say them, in characters any Chinese voice reads.
MANDARIN_LETTERS = {
    "A": "诶", "B": "比", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉", "H": "艾尺", "I": "艾",
    "J": "杰", "K": "开", "L": "艾勒", "M": "艾姆", "N": "恩", "O": "欧", "P": "披", "Q": "丘", "R": "阿尔",
    "S": "艾斯", "T": "提", "U": "优", "V": "维", "W": "达布溜", "X": "艾克斯", "Y": "歪", "Z": "贼",
}
_LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: The words around spelled items (as in :func:`engines.speech.text.spell_ticket`).
WORDS = {
    "mandarin": {"ticket": "编号", "check code": "查询码", "telephone": "电话"},
    "cantonese": {"ticket": "編號", "check code": "查詢碼", "telephone": "電話"},
    "english": {"ticket": "Ticket number", "check code": "Check code", "telephone": "Telephone"},
}
#: For each speech, the clip text of each character that can be spelled.
PIECES: dict[str, dict[str, str]] = {
    "mandarin": {**MANDARIN_DIGITS, **MANDARIN_LETTERS},
    "cantonese": {**CANTONESE_DIGITS, **{c: c for c in _LATIN}},  # espeak-ng yue reads letters as English
    "english": {**ENGLISH_DIGITS, **{c: c for c in _LATIN}},
}
#: For a voice that takes phonemes (the neural voice, ``⟦…⟧`` in engines/speech/neural_child.py): letter →
#: its phonemes, the English letter name as Mandarin speakers say it on a bank's queue ticket ("A" /eɪ/),
#: in misaki's notation (``A`` is /eɪ/, ``I`` /aɪ/); the final stop gives the vowel its full length. An
#: independent listener (tests/listener.py) heard "编号 X0001" right for 9 of the 19 ticket letters from
#: these, and for 1 of 19 from the character forms above (诶 heard as 飞, 哎; 2026-12-07), so the neural
#: voice's clips of letters are made from these; espeak-ng reads the character forms.
letter_phonemes: Optional[dict[str, str]] = {
    "A": "ˈA.", "B": "bˈi.", "C": "sˈi.", "D": "dˈi.", "E": "ˈi.", "F": "ˈɛf.", "G": "ʤˈi.", "H": "ˈAʧ.", "I": "ˈI.",
    "J": "ʤˈA.", "K": "kˈA.", "L": "ˈɛl.", "M": "ˈɛm.", "N": "ˈɛn.", "O": "ˈO.", "P": "pˈi.", "Q": "kjˈu.", "R": "ˈɑɹ.",
    "S": "ˈɛs.", "T": "tˈi.", "U": "jˈu.", "V": "vˈi.", "W": "dˈʌbᵊljˌu.", "X": "ˈɛks.", "Y": "wˈI.", "Z": "zˈi.",
}

ClipFor = Callable[[str], Optional[Path]]


class ClipsUnavailable(Exception):
    """Audio cannot be assembled from clips: render the whole text instead."""


class MissingClip(ClipsUnavailable, LookupError):
    """No clip for ``text`` (a sentence not pre-rendered, or a piece the build did not make)."""

    def __init__(self, text: str):
        super().__init__(f"no clip for {text!r}")
        self.text = text


class ClipFormatError(ClipsUnavailable, ValueError):
    """A clip is not mono 16-bit PCM at the wanted sample rate, or is not a readable WAV."""

    def __init__(self, path: Path, why: str):
        super().__init__(f"{path}: {why}")
        self.path = path


def _speech(speech: str) -> dict[str, str]:
    try:
        return PIECES[speech]
    except KeyError:
        raise ValueError(f"no clips for speech {speech!r}; choose from {sorted(PIECES)}") from None


def piece_for(character: str, speech: str) -> Optional[str]:
    """The clip text for one spelled character; ``None`` for a separator (heard as a pause); a
    character with no piece of its own (a Chinese character in a code) is its own clip text."""
    if character in SEPARATORS:
        return None
    return _speech(speech).get(character.upper(), character)


def pieces_for(speech: str) -> list[str]:
    """Every clip text a build must pre-render for ``speech`` so that any ticket, check code or
    telephone number can be assembled: the digits, the letters, the words around them."""
    pieces = list(dict.fromkeys([*_speech(speech).values(), *WORDS[speech].values()]))
    return pieces


def phonemes_for(piece: str, speech: str) -> Optional[str]:
    """The phonemes from :data:`letter_phonemes` for a piece that is a letter's form, else ``None``
    (render the piece's text)."""
    if not letter_phonemes:
        return None
    for letter, text in _speech(speech).items():
        if text == piece and letter in letter_phonemes:
            return letter_phonemes[letter]
    return None


def ticket_parts(ticket: str, speech: str, check_code: str = "") -> list[Part]:
    """A ticket (and its check code) as parts made of pieces alone, as
    :func:`engines.speech.text.spell_ticket` says it: every clip is in :func:`pieces_for`."""
    words = WORDS[speech]
    parts: list[Part] = [Words(words["ticket"]), Spell("".join(ticket.split()))]
    if check_code:
        parts += [Words(words["check code"]), Spell("".join(check_code.split()))]
    return parts


def needed(parts: Iterable[Part], speech: str) -> list[str]:
    """Every clip text that :func:`assemble` asks ``clip_for`` for, once each, in order."""
    texts: list[str] = []
    for part in parts:
        if isinstance(part, Spell):
            texts += [p for p in (piece_for(c, speech) for c in part.characters) if p is not None]
        else:
            texts.append(part.text)
    return list(dict.fromkeys(texts))


def missing(parts: Iterable[Part], clip_for: ClipFor, speech: str = "mandarin") -> list[str]:
    """The clip texts among :func:`needed` that ``clip_for`` has no file for (render these, or fall back)."""
    return [text for text in needed(parts, speech) if clip_for(text) is None]


def _samples(path: Path, sample_rate: int) -> array:
    try:
        with wave.open(str(path), "rb") as clip:
            if clip.getnchannels() != 1 or clip.getsampwidth() != 2:
                raise ClipFormatError(path, f"{clip.getnchannels()} channel(s) of {clip.getsampwidth() * 8}-bit"
                                            " audio, not mono 16-bit PCM")
            if clip.getframerate() != sample_rate:
                raise ClipFormatError(path, f"sampled at {clip.getframerate()} Hz, not {sample_rate} Hz")
            frames = clip.readframes(clip.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise ClipFormatError(path, f"not a readable WAV ({exc})") from exc
    samples = array("h")
    samples.frombytes(frames[: len(frames) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _trimmed(samples: array, sample_rate: int) -> array:
    """``samples`` without the near-silence at either end (but :data:`MARGIN` of it)."""
    start, end = 0, len(samples)
    while start < end and -QUIET < samples[start] < QUIET:
        start += 1
    while end > start and -QUIET < samples[end - 1] < QUIET:
        end -= 1
    margin = int(MARGIN * sample_rate)
    return samples[max(0, start - margin): min(len(samples), end + margin)]


def assemble(parts: Iterable[Part], clip_for: ClipFor, sample_rate: int, speech: str = "mandarin") -> bytes:
    """One WAV file (bytes; mono, 16-bit, ``sample_rate``) saying ``parts`` from their clips.

    A :class:`~engines.speech.page_text.Words` part is its own clip (``clip_for(part.text)``); a
    :class:`~engines.speech.page_text.Spell` part is one clip per character (:func:`piece_for`) with
    :data:`SPELL_PAUSE` of silence between them (:data:`GROUP_PAUSE` at a separator). After a
    sentence or a spelled item comes :data:`SENTENCE_PAUSE`; after words that lead into a spelled
    item (no sentence end), :data:`SPELL_PAUSE`. Each clip's own leading and trailing near-silence is
    cut first (:data:`QUIET`, :data:`MARGIN`), so the pauses are these and no others.

    Raises :class:`MissingClip` when ``clip_for`` gives ``None`` for any text, :class:`ClipFormatError`
    when a clip is not mono 16-bit PCM at ``sample_rate`` (both :class:`ClipsUnavailable`: render the
    page's whole text instead); ``ValueError`` for an unknown ``speech``.
    """
    _speech(speech)
    loaded: dict[str, array] = {}

    def clip(text: str) -> array:
        if text not in loaded:
            path = clip_for(text)
            if path is None:
                raise MissingClip(text)
            loaded[text] = _trimmed(_samples(Path(path), sample_rate), sample_rate)
        return loaded[text]

    def silence(seconds: float) -> array:
        return array("h", bytes(2 * round(seconds * sample_rate)))

    pieces: list[array] = []
    pause_last = False  # whether pieces[-1] is a pause
    for part in parts:
        if isinstance(part, Spell):
            pending = None  # the pause before the next character, once one was read
            for character in part.characters:
                piece = piece_for(character, speech)
                if piece is None:
                    pending = GROUP_PAUSE if pending is not None else None
                    continue
                if pending is not None:
                    pieces.append(silence(pending))
                pieces.append(clip(piece))
                pending = SPELL_PAUSE
            if pending is None:
                continue  # nothing was read
            pieces.append(silence(SENTENCE_PAUSE))
        else:
            pieces.append(clip(part.text))
            pieces.append(silence(SENTENCE_PAUSE if part.text.endswith(_SENTENCE_END) else SPELL_PAUSE))
        pause_last = True
    if pause_last:
        pieces.pop()  # no trailing pause: the audio ends with the last word
    samples = array("h")
    for piece in pieces:
        samples.extend(piece)
    return wav_bytes(samples, sample_rate)


def wav_bytes(samples: array, sample_rate: int) -> bytes:
    """A mono 16-bit WAV file (bytes) of ``samples`` (native byte order)."""
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(sample_rate)
        audio.writeframes(samples.tobytes())
    return out.getvalue()


# ---- dates and times, from clips too -----------------------------------------------------------------
#: A date and time as the pages show it (Babel's medium format): "2026年12月8日 01:12:14" (Simplified),
#: "2026年12月8日 下午1:05:00" (Traditional).
DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(午夜|凌晨|清晨|上午|中午|下午|晚上)?\s*(\d{1,2}):(\d{2})(?::\d{2})?")
YEARS = range(2024, 2041)  # the years a box now in service will show; others are said by espeak-ng
_NUMBER = "零一二三四五六七八九十"


def number_words(n: int) -> str:
    """0–59 as said in Mandarin: 十二, 二十, 三十五 (not 一十二)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _NUMBER[ones]
    return ("" if tens == 1 else _NUMBER[tens]) + "十" + (_NUMBER[ones] if ones else "")


def _hour(n: int) -> str:
    return ("两" if n == 2 else number_words(n)) + "点"


def _minute(n: int) -> str:
    return "整" if n == 0 else ("零" if n < 10 else "") + number_words(n) + "分"


def date_words(match: "re.Match") -> Optional[list[str]]:
    """The clip texts a date is said from ("二零二六年", "十二月", "八号", "下午", "一点", "零五分"), or None
    for a year the clips do not cover."""
    year, month, day, period, hour, minute = match.groups()
    if int(year) not in YEARS or not (1 <= int(month) <= 12 and 1 <= int(day) <= 31 and int(hour) < 24 and int(minute) < 60):
        return None
    words = ["".join(_NUMBER[int(d)] for d in year) + "年", number_words(int(month)) + "月", number_words(int(day)) + "号"]
    return words + ([period] if period else []) + [_hour(int(hour)), _minute(int(minute))]


def date_pieces() -> list[str]:
    """Every clip a date can be said from (for ``flask voice build``)."""
    pieces = ["".join(_NUMBER[int(d)] for d in str(year)) + "年" for year in YEARS]
    pieces += [number_words(m) + "月" for m in range(1, 13)] + [number_words(d) + "号" for d in range(1, 32)]
    pieces += ["午夜", "凌晨", "清晨", "上午", "中午", "下午", "晚上"] + [_hour(h) for h in range(24)] + [_minute(m) for m in range(60)]
    return pieces


def with_dates(parts: Iterable[Part]) -> list[Part]:
    """``parts`` with each date inside a sentence said from date clips: the sentence's words around it
    stay as they are (their clips, or espeak-ng), the date becomes one :class:`Words` per clip."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, Spell) or not DATE.search(part.text):
            out.append(part)
            continue
        rest = part.text
        while (match := DATE.search(rest)) is not None:
            words = date_words(match)
            before = rest[: match.start()].strip(" ·")
            if before:
                out.append(Words(before))
            out += [Words(w) for w in words] if words else [Words(match.group(0))]
            rest = rest[match.end():]
        rest = rest.strip()
        if rest.strip("".join(ENDINGS)):  # words after the date (its sentence's stop alone is a pause)
            out.append(Words(rest))
    return out
