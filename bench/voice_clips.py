"""A ticket assembled from pre-rendered clips (engines/speech/clips.py), as a ratio to its goal.

    .venv/bin/python -m bench.voice_clips

Every Mandarin piece is rendered once with espeak-ng (as ``flask voice build`` would), then a
receipt's spelled items (ticket, check code, the centre's telephone number, with their words) are
assembled into one WAV, over and over. Goal (issue 22): at most 200 ms for a ticket on the box.
Beside it, in the same run: espeak-ng rendering the same ticket as one utterance (today's path).
Not a test: the numbers go to docs/performance.md with their date.
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.speech.clips import assemble, pieces_for, ticket_parts  # noqa: E402
from engines.speech.page_text import Spell, Words  # noqa: E402
from engines.speech.synthesiser import Synthesiser  # noqa: E402
from engines.speech.text import spell_ticket  # noqa: E402
from engines.speech.voices import RATES, VOICES  # noqa: E402

GOAL = 0.200
RATE = 22050  # espeak-ng's


def main() -> None:
    work = Path(tempfile.mkdtemp())
    try:
        synthesiser = Synthesiser()
        start = time.perf_counter()
        files = {text: synthesiser.synthesize(text, VOICES["mandarin"], RATES["normal"], work / f"{n}.wav")
                 for n, text in enumerate(pieces_for("mandarin"))}
        render = time.perf_counter() - start
        synthesiser.close()
        size = sum(path.stat().st_size for path in files.values())

        ticket = ticket_parts("A0001", "mandarin", "000100")
        receipt = ticket + [Words("电话"), Spell("0755-12345678")]
        first = time.perf_counter()
        assemble(ticket, files.get, RATE)
        first = time.perf_counter() - first
        timings = {}
        for name, parts in (("ticket + check code", ticket), ("… + telephone number", receipt)):
            took = []
            for _ in range(50):
                start = time.perf_counter()
                audio = assemble(parts, files.get, RATE)
                took.append(time.perf_counter() - start)
            timings[name] = (took, len(audio))
        direct = []
        for _ in range(10):
            start = time.perf_counter()
            subprocess.run(["espeak-ng", "-v", VOICES["mandarin"], "-s", str(RATES["normal"]), "-w", str(work / "t.wav"),
                            spell_ticket("A0001", "mandarin", "000100")], check=True)
            direct.append(time.perf_counter() - start)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    p95 = lambda xs: statistics.quantiles(xs, n=20)[18]  # noqa: E731
    print(f"render every Mandarin piece ({len(files)} clips, espeak-ng): {render:.1f} s, {size / 1e6:.2f} MB")
    print(f"first assembly (ticket + check code, clips read from disk): {first * 1000:.1f} ms")
    for name, (took, length) in timings.items():
        print(f"assemble {name}: median {statistics.median(took) * 1000:.1f} ms, p95 {p95(took) * 1000:.1f} ms,"
              f" {length / 2 / RATE:.1f} s of audio; ratio to the 200 ms goal {p95(took) / GOAL:.3f}x")
    print(f"espeak-ng -w on the same ticket as one utterance: median {statistics.median(direct) * 1000:.1f} ms;"
          f" assembly / espeak-ng {statistics.median(timings['ticket + check code'][0]) / statistics.median(direct):.2f}x")


if __name__ == "__main__":
    main()
