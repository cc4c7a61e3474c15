"""The neural voice's clips on disk, and a page assembled from them while a resident waits.

``flask voice build`` renders, in the neural voice, every piece a ticket, check code or telephone
number is spelled from (:func:`engines.speech.clips.pieces_for`) and every fixed sentence of the pages
that carry one (the receipt's, for each service), as WAV files in ``static/audio/clips/``, named by the
same key as any cached audio (:meth:`engines.speech.cache.SpeechCache.key`). A page with a spelled
item is then joined from them (:func:`engines.speech.clips.assemble`) in milliseconds.

What was never pre-rendered — the resident's own answers on her receipt, the date — is said by
espeak-ng, now (the neural voice never speaks while a resident waits: seconds of CPU on the box),
resampled to the clips' rate; :func:`speak_parts` counts how many sentences were, so the page can say
that her own words are read in the plain voice. Those files hold her words: they are deleted at once.
"""
from __future__ import annotations

import sys
import uuid
import wave
from array import array
from pathlib import Path

from .cache import SpeechCache
from . import clips
from .clips import ClipsUnavailable, assemble, needed, phonemes_for
from .neural_child import SAMPLE_RATE
from .page_text import Part, Spell
from .synthesiser import SpeechError
from .text import speakable

FOLDER = "clips"
_DIGITS = frozenset(clips.MANDARIN_DIGITS.values())


class ClipStore:
    """Where the neural voice's clips are (``<public audio>/clips``), for one voice."""

    def __init__(self, cache: SpeechCache, voice: str):
        self.cache, self.voice = cache, voice
        self.directory = cache.directory / FOLDER

    @staticmethod
    def said(text: str) -> str:
        """What the voice is given for a clip's text: a letter's phonemes (engines/speech/clips.py), else the text."""
        phonemes = phonemes_for(text, "mandarin")
        if phonemes:
            return f"⟦{phonemes}⟧"
        # a digit said as an utterance of its own, with its stop: its vowel at full length (幺 without
        # it was heard as 有 after 零 by the listener, tests/test_voice_clarity.py)
        return speakable(text)

    def path(self, text: str, speed: str) -> Path:
        return self.directory / f"{self.cache.key(self.said(text), 'mandarin', speed, self.voice)}.wav"

    def find(self, text: str, speed: str) -> Path | None:
        path = self.path(text, speed)
        return path if path.exists() else None

    def render(self, text: str, speed: str) -> bool:
        """Make the clip of ``text`` unless it is there (the cache must have the neural voice); True if made."""
        path = self.path(text, speed)
        if path.exists():
            return False
        if self.cache.neural is None:
            raise SpeechError("clips are made by the neural voice, which this cache does not have")
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{uuid.uuid4().hex}.wav")  # the name must end .wav for the voice
        try:
            self.cache.neural.synthesize(self.said(text), self.voice, speed, partial)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return True


def resampled(source: Path, rate: int) -> bytes:
    """A mono 16-bit WAV at ``rate``, from ``source`` at another rate (linear interpolation: espeak-ng's
    22 050 Hz formant speech to the neural voice's 24 000 Hz loses nothing a listener hears)."""
    with wave.open(str(source), "rb") as audio:
        if audio.getnchannels() != 1 or audio.getsampwidth() != 2:
            raise ClipsUnavailable(f"{source} is not mono 16-bit PCM")
        given = audio.getframerate()
        samples = array("h", audio.readframes(audio.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    if given != rate and len(samples) > 1:
        step, last, out = given / rate, len(samples) - 1, array("h")
        for n in range(int(len(samples) * rate / given)):
            position = n * step
            i = int(position)
            if i >= last:
                out.append(samples[last])
                continue
            fraction = position - i
            out.append(int(samples[i] + (samples[i + 1] - samples[i]) * fraction))
        samples = out
    return clips.wav_bytes(samples, rate)


def speak_parts(parts: list[Part], store: ClipStore, speed: str, plain: SpeechCache) -> tuple[bytes, int]:
    """One WAV saying ``parts``: clips of the neural voice where there are, espeak-ng (``plain``, a cache
    writing WAV files) for any sentence there is none of. Returns the audio and how many sentences
    espeak-ng said. Raises :class:`ClipsUnavailable` when a piece of a spelled item is missing (a build
    has not made them yet: the caller speaks the whole page as before)."""
    parts = clips.with_dates(parts)  # a date said from its clips (二零二六年, 十二月, 八号…), not by espeak-ng
    spelled_pieces = set(needed([p for p in parts if isinstance(p, Spell)], "mandarin"))
    made: dict[str, Path] = {}
    try:
        for text in needed(parts, "mandarin"):
            found = store.find(text, speed)
            if found is not None:
                made[text] = found
            elif text in spelled_pieces:
                raise ClipsUnavailable(f"no clip of {text!r} yet (flask voice build makes them)")
            else:
                for _attempt in (1, 2):  # the same words asked for twice at once: the other took the file
                    said = plain.get(text, "mandarin", speed)  # her own words: removed below
                    try:
                        audio = resampled(said, SAMPLE_RATE)
                        break
                    except FileNotFoundError:
                        continue
                else:
                    raise SpeechError(f"could not say {len(text)} characters in the plain voice")
                said.unlink(missing_ok=True)
                converted = said.with_name(f"{said.stem}.{uuid.uuid4().hex}.24k.wav")
                converted.write_bytes(audio)
                made[text] = converted
        plain_count = sum(1 for path in made.values() if path.parent != store.directory)
        return assemble(parts, made.get, SAMPLE_RATE, "mandarin"), plain_count
    finally:
        for path in made.values():
            if path.parent != store.directory:
                path.unlink(missing_ok=True)
