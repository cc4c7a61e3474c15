"""The neural voice's process: ``<voice venv>/bin/python -m engines.speech.neural_child DATA JOBS_FD RESULTS_FD``.

Started by :class:`engines.speech.neural.NeuralVoice` (through :class:`engines.speech.synthesiser.Synthesiser`)
with the interpreter of the voice's own venv (``.venv-voice``: onnxruntime, numpy, misaki, jieba), never
the kiosk's. It speaks the same pipe protocol as :mod:`engines.speech.speaker`: jobs in
``[job_id, text, voice, speed_percent, out]`` or ``null``; answers ``[0, "ready", pid]``, then
``[job_id, "ok", out]`` or ``[job_id, "error", why]``.

One thread (the box has two cores and a touchscreen to keep smooth), a cap on its address space
(``KIOSK_NEURAL_MEMORY_MB``), and the weights checked by sha256 before the model is loaded: damaged
weights end the process with an error, and the kiosk speaks with espeak-ng instead.

Kokoro-82M reads phonemes: misaki's Chinese front end (v1.0's, jieba and pypinyin) turns characters
into them; the model takes token ids (the vocabulary shipped with the model), a 256-number style
vector picked from the voice by the number of tokens, and a speed. It takes at most 510 tokens, so
text is cut at sentence ends into pieces and the pieces are joined with a short pause.
"""
from __future__ import annotations

import json
import os
import re
import resource
import sys
import wave
from pathlib import Path

from .neural_install import sha256_file
from .speaker import Messages, send

SAMPLE_RATE = 24000
#: Tokens per run of the model (it takes 510). Its memory grows faster than the length: measured with
#: one thread, a run of 100 tokens peaked at ~465 MB RSS, 150 at ~500 MB, 250 at ~620 MB (jieba and the
#: model are ~270 MB of it). Pieces are cut at sentence marks, so 150 costs nothing a listener hears.
MAX_TOKENS = 150
_PAUSE = {".": 0.35, "!": 0.35, "?": 0.35, ";": 0.25, ":": 0.2, ",": 0.15}
#: Phonemes given directly, for what the Chinese front end cannot say (Latin letters): ⟦…⟧.
PHONEMES = re.compile(r"^⟦(.+)⟧$")


class _Refused(Exception):
    """A job this process cannot do; its message goes back to the parent."""


def _pieces(phonemes: str) -> list[tuple[str, float]]:
    """The phoneme string cut after sentence marks into pieces of at most MAX_TOKENS, each with the
    pause that follows it."""
    sentences = [s for s in re.split(r"(?<=[.!?;:,])\s+", phonemes.strip()) if s.strip()]
    pieces: list[tuple[str, float]] = []
    current = ""
    for sentence in sentences:
        if current and len(current) + 1 + len(sentence) > MAX_TOKENS:
            pieces.append((current, _PAUSE.get(current[-1], 0.1)))
            current = ""
        current = f"{current} {sentence}".strip()
        while len(current) > MAX_TOKENS:  # one sentence too long by itself: cut at a space
            cut = current.rfind(" ", 0, MAX_TOKENS)
            cut = cut if cut > 0 else MAX_TOKENS
            pieces.append((current[:cut], 0.1))
            current = current[cut:].strip()
    if current:
        pieces.append((current, 0.0))
    return pieces


def main(data: str, jobs_fd: int, results_fd: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)  # jieba prints to stderr as it loads
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    limit = int(os.environ.get("KIOSK_NEURAL_MEMORY_MB", "0") or 0)
    if limit:  # address space, not resident memory: onnxruntime reserves more than it touches
        resource.setrlimit(resource.RLIMIT_AS, (limit << 20, limit << 20))
    os.environ["OMP_NUM_THREADS"] = "1"
    folder = Path(data)
    manifest = json.loads((folder / "manifest.json").read_text())
    model = folder / manifest["model"]["file"]
    if sha256_file(model) != manifest["model"]["sha256"]:
        send(results_fd, [0, "error", f"the voice model {model} is damaged (sha256 differs)"])
        return

    import numpy as np
    import onnxruntime
    from misaki.zh import ZHG2P

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # Without the arena, a run's peak jumped to 1.6–2.5 GB (one large temporary buffer); with it and
    # without memory patterns (planned for one input length, kept for the next), it stays as above.
    options.enable_mem_pattern = False
    session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    vocab = json.loads((folder / manifest["vocab"]["file"]).read_text(encoding="utf-8"))
    front_end = ZHG2P()  # v1.0's front end (jieba + pypinyin), which Kokoro v1.0 was trained with
    voices: dict = {}

    def style(name: str):
        if name not in voices:
            entry = manifest["voices"].get(name)
            if entry is None:
                raise _Refused(f"no such voice {name!r}")
            path = folder / entry["file"]
            if sha256_file(path) != entry["sha256"]:
                raise _Refused(f"the voice {name} is damaged (sha256 differs)")
            voices[name] = np.fromfile(path, dtype=np.float32).reshape(-1, 256)
        return voices[name]

    def speak(text: str, name: str, speed: float):
        given = PHONEMES.match(text)
        phonemes = given.group(1) if given else front_end(text)[0]
        vectors = style(name)
        audio = []
        for piece, pause in _pieces(phonemes):
            tokens = [vocab[c] for c in piece if c in vocab]
            if not tokens:
                continue
            out = session.run(None, {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": vectors[min(len(tokens), len(vectors) - 1)].reshape(1, 256),
                "speed": np.array([speed], dtype=np.float32),
            })[0].ravel()
            audio.append(out)
            if pause:
                audio.append(np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32))
        if not audio:
            raise _Refused("nothing the voice can say")
        return np.concatenate(audio)

    jobs = Messages(jobs_fd)
    send(results_fd, [0, "ready", os.getpid()])
    while True:
        try:
            job = jobs.get()
        except EOFError:  # the parent is gone
            return
        if job is None:
            return
        job_id, text, voice, speed_percent, out = job
        tmp = f"{out}.{os.getpid()}.tmp"
        try:
            samples = speak(text, voice, speed_percent / 100)
            pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
            with wave.open(tmp, "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(SAMPLE_RATE)
                wav.writeframes(pcm)
            os.replace(tmp, out)
            send(results_fd, [job_id, "ok", out])
        except Exception as exc:  # report, and stay alive for the next job (MemoryError included)
            if os.path.exists(tmp):
                os.remove(tmp)
            send(results_fd, [job_id, "error", f"{type(exc).__name__}: {exc}"])


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
