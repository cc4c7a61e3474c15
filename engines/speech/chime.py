"""The chime a worker's page plays when a resident calls for help: two soft rising notes.

Made here rather than shipped as a file: a few lines of arithmetic give a short WAV (16 kHz, mono,
16-bit) that every browser plays, with gentle starts and ends so it does not click, and loud enough
to be heard across a room but well under full scale.
"""
from __future__ import annotations

import io
import math
import struct
import wave
from functools import lru_cache

RATE = 16000
NOTES = ((659.25, 0.28), (880.0, 0.42))  # E5 then A5, in seconds
LEVEL = 0.5  # of full scale
FADE = 0.02  # seconds of fade in and out per note


@lru_cache(maxsize=1)
def chime_wav() -> bytes:
    samples = []
    for frequency, seconds in NOTES:
        count = int(RATE * seconds)
        fade = int(RATE * FADE)
        for i in range(count):
            envelope = min(1.0, i / fade, (count - i) / fade) * math.exp(-2.5 * i / count)  # a bell's decay
            samples.append(int(32767 * LEVEL * envelope * math.sin(2 * math.pi * frequency * i / RATE)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()
