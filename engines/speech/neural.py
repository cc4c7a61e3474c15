"""The neural Mandarin voice (Kokoro-82M v1.0, int8 ONNX), seen from the kiosk.

It is far easier to follow than espeak-ng's formant Mandarin (an independent recogniser misread
1.5 % of the syllables of the kiosk's pages from it, against 73 % from espeak-ng: docs/voice.md), but
it costs ~0.6 s of CPU per second of speech and ~450 MB while it speaks. So it never speaks while a
resident waits: it renders the page prompts and the clips tickets are assembled from, at install and
at night (``flask --app kiosk voice build``, the kiosk-voice unit), in a process of its own
(:mod:`engines.speech.neural_child`, run by the interpreter of its own venv, ``.venv-voice``), on one
thread, under a cap on its memory. Pages only ever read the files it made.

Installed by ``make voice`` (:mod:`engines.speech.neural_install`); where it is missing or its
weights are damaged, espeak-ng speaks, and the health page says which voice is speaking.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .synthesiser import SpeechError, Synthesiser

ENGINE = "kokoro-82m-v1.0-int8"
_ROOT = Path(__file__).resolve().parent.parent.parent
#: The centre's choice (``KIOSK_VOICE``): the male voice was understood best by the independent
#: listener (bench/clarity.py, docs/voice.md), so it is the default.
VOICES = {"male": "zm_yunjian", "female": "zf_xiaoyi"}
#: Kokoro's speed for the resident's choice; slow is about espeak-ng's 110/150 words a minute.
SPEEDS = {"normal": 100, "slow": 80}
#: The cap on the voice process's address space (``KIOSK_NEURAL_MEMORY_MB``): its peak resident
#: memory is ~500 MB (engines/speech/neural_child.py says why), its address space ~1.2 GB (onnxruntime
#: reserves more than it touches); systemd's MemoryMax on kiosk-voice caps what it may really use.
MEMORY_MB = 1600


class NeuralUnavailable(SpeechError):
    """The neural voice is not installed here (or not whole): espeak-ng speaks instead."""


def default_home() -> Path:
    """The voice's venv: ``KIOSK_VOICE_HOME``, else ``.venv-voice`` beside the code (``make voice``)."""
    return Path(os.environ.get("KIOSK_VOICE_HOME") or _ROOT / ".venv-voice")


def installed(home: Path | str | None = None) -> dict | None:
    """The installed voice's manifest (what ``make voice`` checked and wrote), or None. Cheap: reads
    one small file; the weights' sha256 is checked by the voice process before it loads them."""
    home = Path(home) if home else default_home()
    try:
        manifest = json.loads((home / "kokoro" / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if not (home / "bin" / "python").exists() or not (home / "kokoro" / manifest["model"]["file"]).exists():
        return None
    return manifest


def voice_name(choice: str) -> str:
    """``male``/``female`` (the centre's setting) or a voice's own name → the voice's name."""
    return VOICES.get(choice, choice)


class NeuralVoice:
    """The parent's handle on the neural voice's process (started on first use; thread-safe)."""

    def __init__(self, home: Path | str | None = None, timeout: float = 120.0, memory_mb: int | None = None,
                 data: Path | None = None):
        """``home``: the voice's venv; ``data``: its weights (default ``home/kokoro``)."""
        self.home = Path(home) if home else default_home()
        self.manifest = installed(self.home)
        if self.manifest is None:
            raise NeuralUnavailable(f"the neural voice is not installed in {self.home} (make voice)")
        data = data or self.home / "kokoro"
        if data != self.home / "kokoro":  # weights of their own: their own manifest says what is there
            try:
                self.manifest = json.loads((Path(data) / "manifest.json").read_text())
            except (OSError, ValueError):
                raise NeuralUnavailable(f"no manifest in {data}") from None
        python = str(self.home / "bin" / "python")
        memory = memory_mb or int(os.environ.get("KIOSK_NEURAL_MEMORY_MB") or MEMORY_MB)
        self.synthesiser = Synthesiser(
            timeout=timeout, startup_timeout=120.0, rate_per_process=False,
            command=lambda _rate: [python, "-m", "engines.speech.neural_child", str(data)],
            env={"KIOSK_NEURAL_MEMORY_MB": str(memory), "OMP_NUM_THREADS": "1"})

    @property
    def voices(self) -> list[str]:
        return sorted(self.manifest["voices"])

    def synthesize(self, text: str, voice: str, speed: str, out: Path) -> Path:
        """Write ``text`` spoken by ``voice`` (a name, or ``male``/``female``) to the WAV file ``out``
        (24 kHz, mono, 16-bit); return ``out``."""
        if speed not in SPEEDS:
            raise SpeechError(f"no such speed {speed!r}; choose from {sorted(SPEEDS)}")
        name = voice_name(voice)
        if name not in self.manifest["voices"]:
            raise SpeechError(f"no such voice {name!r}; choose from {self.voices}")
        return self.synthesiser.synthesize(text, name, SPEEDS[speed], Path(out))

    def close(self) -> None:
        self.synthesiser.close()
