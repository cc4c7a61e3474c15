"""Audio files keyed by what made them — engine, espeak-ng version, voice, rate, normalised text —
never by their bytes (espeak-ng's output is not byte-for-byte reproducible)."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

from . import neural
from .neural_install import MODEL_SHA256
from .text import speakable
from .voices import espeak_voice, words_per_minute
from .synthesiser import SpeechError, SpeechTimeout, Synthesiser

ENGINE = "pyttsx3-2.99/espeak-ng"
OPUS_BITRATE = "24"  # kbit/s: clear speech at about a twentieth of the WAV's size
MIME = {".opus": "audio/ogg", ".wav": "audio/wav"}


@functools.lru_cache(maxsize=1)
def espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=10).stdout
    found = re.search(r"(\d+\.\d+(?:\.\d+)?)", out)
    return found.group(1) if found else "unknown"


class SpeechCache:
    """Audio by inputs. Stored as Ogg Opus when ``opusenc`` is there (the set-up installs opus-tools),
    else as the WAV the voice wrote: see docs/performance.md for the sizes.

    ``voice`` (in :meth:`key`, :meth:`path`, :meth:`get`) names a neural voice (``zm_yunjian``…) for
    Mandarin; None is espeak-ng. Only a cache given ``neural`` (a :class:`~engines.speech.neural.NeuralVoice`)
    can make neural audio; any cache can name and find it (the web process only finds it)."""

    def __init__(self, directory: str | Path, synthesiser: Synthesiser | None = None, fmt: str | None = None,
                 neural_voice: "neural.NeuralVoice | None" = None):
        self.directory = Path(directory)
        self.synthesiser = synthesiser or Synthesiser()
        self.neural = neural_voice
        self.suffix = "." + (fmt or ("opus" if shutil.which("opusenc") else "wav"))

    def key(self, text: str, speech: str, speed: str, voice: str | None = None) -> str:
        if voice is None:
            inputs = [ENGINE, espeak_version(), espeak_voice(speech), words_per_minute(speed), speakable(text)]
        elif speech != "mandarin" or speed not in neural.SPEEDS:
            raise SpeechError(f"the neural voice speaks Mandarin at {sorted(neural.SPEEDS)}, not {speech} at {speed}")
        else:
            inputs = [neural.ENGINE, MODEL_SHA256, neural.voice_name(voice), neural.SPEEDS[speed], speakable(text)]
        return hashlib.sha256(json.dumps(inputs, ensure_ascii=False).encode()).hexdigest()[:32]

    def path(self, text: str, speech: str, speed: str = "normal", voice: str | None = None) -> Path:
        return self.directory / f"{self.key(text, speech, speed, voice)}{self.suffix}"

    def _synthesize(self, words: str, speech: str, speed: str, out: Path, voice: str | None) -> Path:
        if voice is not None:
            if self.neural is None:
                raise neural.NeuralUnavailable("this cache has no neural voice to speak with")
            return self.neural.synthesize(words, voice, speed, out)
        try:
            return self.synthesiser.synthesize(words, espeak_voice(speech), words_per_minute(speed), out)
        except SpeechTimeout:  # pyttsx3 hung and its child process was restarted: one more try in the fresh one
            return self.synthesiser.synthesize(words, espeak_voice(speech), words_per_minute(speed), out)

    def get(self, text: str, speech: str, speed: str = "normal", voice: str | None = None) -> Path:
        """The audio for ``text``: from the cache, or synthesised now (and kept)."""
        out = self.path(text, speech, speed, voice)
        if out.exists():
            return out
        words = speakable(text)
        if not words:
            raise SpeechError("nothing to say")
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.suffix == ".wav":
            return self._synthesize(words, speech, speed, out, voice)
        unique = uuid.uuid4().hex  # two requests for the same new audio may run at once
        wav = out.with_name(f"{out.stem}.{unique}.wav")
        self._synthesize(words, speech, speed, wav, voice)
        partial = out.with_name(f"{out.name}.{unique}.part")
        try:
            subprocess.run(["opusenc", "--quiet", "--bitrate", OPUS_BITRATE, str(wav), str(partial)],
                           check=True, capture_output=True, timeout=30)
            os.replace(partial, out)
        except (subprocess.SubprocessError, OSError) as exc:
            raise SpeechError(f"could not compress the audio: {exc}") from exc
        finally:
            wav.unlink(missing_ok=True)
            partial.unlink(missing_ok=True)
        return out
