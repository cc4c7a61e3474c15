"""Audio files keyed by what made them — engine, espeak-ng version, voice, rate, normalised text —
never by their bytes (espeak-ng's output is not byte-for-byte reproducible)."""
from __future__ import annotations

import functools
import hashlib
import json
import re
import subprocess
from pathlib import Path

from .text import speakable
from .voices import espeak_voice, words_per_minute
from .worker import SpeechError, SpeechWorker

ENGINE = "pyttsx3-2.99/espeak-ng"


@functools.lru_cache(maxsize=1)
def espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=10).stdout
    found = re.search(r"(\d+\.\d+(?:\.\d+)?)", out)
    return found.group(1) if found else "unknown"


class SpeechCache:
    def __init__(self, directory: str | Path, worker: SpeechWorker | None = None):
        self.directory = Path(directory)
        self.worker = worker or SpeechWorker()

    def key(self, text: str, speech: str, speed: str) -> str:
        inputs = [ENGINE, espeak_version(), espeak_voice(speech), words_per_minute(speed), speakable(text)]
        return hashlib.sha256(json.dumps(inputs, ensure_ascii=False).encode()).hexdigest()[:32]

    def path(self, text: str, speech: str, speed: str = "normal") -> Path:
        return self.directory / f"{self.key(text, speech, speed)}.wav"

    def get(self, text: str, speech: str, speed: str = "normal") -> Path:
        """The audio for ``text``: from the cache, or synthesised now (and kept)."""
        out = self.path(text, speech, speed)
        if out.exists():
            return out
        words = speakable(text)
        if not words:
            raise SpeechError("nothing to say")
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.worker.synthesize(words, espeak_voice(speech), words_per_minute(speed), out)
