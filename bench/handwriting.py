"""How well handwriting is read — the bare recogniser, and the kiosk's own path — and how fast.

    make bench            (or: .venv/bin/python -m bench.handwriting)

The test set is Make Me a Hanzi's stroke medians, drawn clean and by an unsteady hand with a fixed
seed (bench/hanzi_medians.py). Three readings of the same drawings:

- **bare**: zinnia alone on the drawing as it is (the baseline of docs/performance.md);
- **fitted**: what the kiosk sends zinnia — the drawing moved and scaled into the middle of its box
  (kiosk/handwriting/strokes.py);
- **in the field**: fitted, then re-ranked by what the field expects (kiosk/handwriting/rerank.py):
  the demo catalogue's characters written, in order, into their own service's text field (each after
  the character before it, as a resident writes a phrase), and the address book's into the address
  field; GB 2312 level 1 written alone into the repairs field shows what the re-ranking costs
  characters the field does not expect.

Printed: top-1 and top-10 per set, and the time per character against the issue's limit of 20 ms.
Not a test (tests/test_handwriting_accuracy.py holds floors); the numbers go to docs/performance.md.
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hanzi_medians import HANZI, medians, unsteady  # noqa: E402
from kiosk.handwriting import strokes as pad  # noqa: E402
from kiosk.handwriting.rerank import NOTHING, Expectation, gb2312_level1, rerank  # noqa: E402
from kiosk.handwriting.zinnia import recognizer  # noqa: E402

LIMIT_MS = 20.0
ASKED = 40  # as kiosk/keyboard/views.py


def demo_database(folder: Path):
    """A database with the demo catalogue (and the demo address book, where there is one)."""
    import json

    from core import catalogue
    from core.crypto import Keyring, new_key
    from core.db import connect, migrate

    db = connect(folder / "bench.sqlite3", keyring=Keyring([new_key()]))
    migrate(db)
    catalogue.load_catalogue(db, json.loads(catalogue.DEMO_FILE.read_text(encoding="utf-8")))
    try:
        from core import addresses
    except ImportError:
        return db
    addresses.load_csv(db, addresses.DEMO_FILE.read_bytes())
    return db


def read(drawn, expected: Expectation | None, before: str = "") -> list[str]:
    """Candidates for one drawing: bare (``expected`` None) or the kiosk's way."""
    if expected is None:
        return [c.character for c in recognizer().classify(drawn, size=1024, best=10)]
    found = [c.character for c in recognizer().classify(pad.fitted(drawn), size=pad.BOX, best=ASKED)]
    return rerank(found, expected, before)


def measure(name: str, writings: list[tuple[str, str, Expectation]], rng: random.Random, times: list[float] | None = None) -> dict:
    """``writings``: (character, text before it, what its field expects). Prints and returns the rates."""
    kinds = {"bare": None, "fitted": NOTHING, "in the field": "field"}
    counts = {(hand, kind): [0, 0] for hand in ("clean", "unsteady") for kind in kinds}
    n = 0
    for character, before, expected in writings:
        strokes = medians(character)
        if not strokes:
            continue
        n += 1
        for hand, drawn in (("clean", strokes), ("unsteady", unsteady(strokes, rng))):
            for kind, how in kinds.items():
                start = time.perf_counter()
                best = read(drawn, expected if how == "field" else how, before)
                if times is not None and kind == "in the field":
                    times.append((time.perf_counter() - start) * 1000)
                counts[hand, kind][0] += bool(best) and best[0] == character
                counts[hand, kind][1] += character in best[:10]
    rates = {}
    for (hand, kind), (top1, top10) in counts.items():
        rates[hand, kind] = (top1 / n, top10 / n)
        print(f"{name:<44} {hand:<9} {kind:<13} n={n:<5} top-1 {top1 / n:6.1%}   top-10 {top10 / n:6.1%}")
    return rates


def catalogue_writings(db) -> list[tuple[str, str, Expectation]]:
    """Every Han character of every service's Simplified texts, after the one before it, in its service's field."""
    from core import catalogue
    from kiosk.keyboard.expect import SIMPLIFIED, expectation, service_texts

    writings = []
    for group in catalogue.list_groups(db, SIMPLIFIED):
        for service in group["services"]:
            expected = expectation(db, f"service:{service.code}")
            for text in service_texts(service):
                for run in _runs(text):
                    writings += [(ch, run[:i], expected) for i, ch in enumerate(run)]
    return writings


def address_writings(db) -> list[tuple[str, str, Expectation]]:
    from kiosk.keyboard.expect import address_texts, expectation

    expected = expectation(db, "address")
    return [(ch, run[:i], expected) for text in address_texts(db) for run in _runs(text) for i, ch in enumerate(run)
            if _simplified(ch)]  # the book's words come in both scripts; the recogniser writes Simplified


def _simplified(character: str) -> bool:
    try:
        character.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _runs(text: str) -> list[str]:
    from kiosk.handwriting.rerank import HAN_RUN

    return HAN_RUN.findall(text or "")


def main() -> None:
    if not HANZI.exists():
        raise SystemExit("npm hanzi-writer-data is missing: run `make test` (or npm ci) first")
    from kiosk.keyboard.expect import expectation

    rng = random.Random(20261125)
    times: list[float] = []
    recognizer()  # open the model once, outside the timing
    with tempfile.TemporaryDirectory() as folder:
        db = demo_database(Path(folder))
        measure("catalogue characters in their service's field", catalogue_writings(db), rng, times)
        addresses = address_writings(db)
        if addresses:
            measure("address book characters in the address field", addresses, rng, times)
        repairs = expectation(db, "service:repairs")
        measure("GB 2312 level 1, alone, in the repairs field", [(ch, "", repairs) for ch in gb2312_level1()], rng, times)
    median, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
    print(f"recognition and re-ranking: median {median:.2f} ms, p95 {p95:.2f} ms over {len(times)} characters; "
          f"limit {LIMIT_MS:.0f} ms: ratio {p95 / LIMIT_MS:.2f}x")


if __name__ == "__main__":
    main()
