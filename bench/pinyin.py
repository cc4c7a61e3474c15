"""How fast and how small the pinyin engine is, and how often the word meant comes first.

    make bench            (or: .venv/bin/python -m bench.pinyin)

Words: wordfreq's 3,000 most frequent Chinese words of two to four characters (Simplified, GB 2312),
spelled by pypinyin. Each is typed as a resident would, one letter at a time, and every prefix is
looked up (with the field's text as context from the second word on); the whole spelling is also
looked up alone, to see where the word lands in the row.

The look-ups run in a fresh process that has imported nothing but ``engines.pinyin``, as the kiosk's
would: it reports VmRSS before and after the first look-up (the index is opened then) and after all
of them. Building a copy of the index is timed too, with the builder's peak RSS. Printed: median and
p95 per look-up against the goal of 5 ms, added RSS against 25 MB, first-use and build times, top-1
and top-10. Not a test: the numbers go to docs/performance.md with their date.

Sentences (issue 23): the 50 things residents write in ``bench/pinyin_sentences.txt`` (written before the
context model and not tuned against), typed piece by piece as the resident parted them, each piece
letter by letter with the field's text before it (the last 20 characters, as the keyboard sends).
Measured: how often the piece meant is first once its letters are typed (goal 90 %), on a Simplified
page and on a Traditional one (the field and the row in OpenCC's s2tw forms, as the page shows them);
and how often a whole clause typed in one go comes out right by taking the first candidate each time.
:func:`sentence_pieces` and :func:`measure_sentences` are also what ``tests/test_pinyin.py`` holds a
floor on.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.pinyin.build import gb2312_characters  # noqa: E402
from engines.pinyin.index import default_path  # noqa: E402

SENTENCES = Path(__file__).with_name("pinyin_sentences.txt")
SENTENCE_GOAL = 0.90
GOAL_MS = 5.0
GOAL_MB = 25.0
WORDS = 3000

CHILD = r"""
import json, sys, time
def rss():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')) / 1024
import engines.pinyin
from bench.pinyin import engine_asker, measure_sentences
given = json.load(sys.stdin)
before = rss()
start = time.perf_counter()
engines.pinyin.candidates('xingfu')
first = time.perf_counter() - start
opened = rss()
times, ranks = [], []
for letters, word in given['words']:
    for end in range(1, len(letters) + 1):
        start = time.perf_counter()
        engines.pinyin.candidates(letters[:end], after='社区')
        times.append(time.perf_counter() - start)
    found = [c.text for c in engines.pinyin.candidates(letters)]
    ranks.append(found.index(word) if word in found else None)
timed = []
measure_sentences(given['sentences'], engine_asker(engines.pinyin.candidates, timed=timed))
print(json.dumps({'before': before, 'opened': opened, 'after': rss(), 'first': first, 'times': times, 'ranks': ranks,
                  'sentence_times': timed}))
"""


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def sentence_pieces() -> list[list[tuple[str, str]]]:
    """Each sentence as [(piece, letters)]: Chinese pieces with their toneless pinyin (read by pypinyin
    in the context of the whole sentence), and digits or punctuation with no letters (typed on their own keys)."""
    from pypinyin import Style, lazy_pinyin

    found = []
    for line in SENTENCES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        han = "".join(ch for ch in line if _han(ch))
        said = lazy_pinyin(han, style=Style.NORMAL)
        assert len(said) == len(han), line
        at, pieces = 0, []
        for word in line.split():
            run = ""
            for ch in word + " ":
                if _han(ch):
                    run += ch
                    continue
                if run:
                    pieces.append((run, "".join(said[at:at + len(run)])))
                    at, run = at + len(run), ""
                if ch != " ":
                    pieces.append((ch, ""))
        found.append(pieces)
    return found


def measure_sentences(sentences, ask, to_page=None) -> dict:
    """Type ``sentences`` (from :func:`sentence_pieces`) through ``ask(letters, field)`` → the row as
    [(text, letters consumed)], in the page's script; ``to_page`` turns Simplified texts into the
    page's script (None on a Simplified page). Returns the pieces meant first, of all pieces, the
    clauses right by first candidates, of all clauses, and the misses."""
    to_page = to_page or (lambda texts: texts)
    first = pieces = clauses_right = clauses = 0
    misses = []
    for sentence in sentences:
        field = ""
        for piece, letters in sentence:
            meant = to_page([piece])[0]
            if letters:
                for end in range(1, len(letters)):
                    ask(letters[:end], field)
                shown = ask(letters, field)
                pieces += 1
                if shown and tuple(shown[0]) == (meant, len(letters)):
                    first += 1
                else:
                    misses.append(f"{field}[{letters} → {meant}, got {shown[0][0] if shown else '-'}]")
            field += meant
        # the clauses (between punctuation) typed in one go, taking the first candidate until none is left
        field, clause, letters = "", "", ""
        for piece, spelled in sentence + [("。", "")]:
            if spelled:
                clause, letters = clause + piece, letters + spelled
                continue
            if clause:
                clauses += 1
                written = ""
                while letters:
                    shown = ask(letters, field + written)
                    if not shown:
                        break
                    written += shown[0][0]
                    letters = letters[shown[0][1]:]
                clauses_right += written == to_page([clause])[0]
                field += to_page([clause])[0]
            field += piece
            clause, letters = "", ""
    return {"first": first, "pieces": pieces, "clauses_right": clauses_right, "clauses": clauses, "misses": misses}


def engine_asker(candidates, traditional=None, simplified=None, timed=None):
    """``ask`` for :func:`measure_sentences` straight from the engine (the field's last 20 characters
    as context, as the keyboard sends); on a Traditional page with its ``traditional`` and ``simplified``."""
    def ask(letters: str, field: str) -> list[tuple[str, int]]:
        after = simplified(field[-20:]) if simplified else field[-20:]
        start = time.perf_counter()
        found = candidates(letters, after=after)
        if timed is not None:
            timed.append(time.perf_counter() - start)
        texts = [c.text for c in found]
        return list(zip(traditional(texts) if traditional else texts, [c.consumed_letters for c in found]))
    return ask


def kiosk_asker(client, expect: str = ""):
    """``ask`` through the kiosk's own GET /keyboard/pinyin (the page's script is the client's)."""
    def ask(letters: str, field: str) -> list[tuple[str, int]]:
        reply = client.get("/keyboard/pinyin", query_string={"letters": letters, "before": field[-20:], "expect": expect})
        return [(c["text"], c["consumed"]) for c in reply.json["candidates"]]
    return ask


def through_the_kiosk() -> dict:
    """The sentences typed on a Simplified page and on a Traditional one, through the kiosk's pinyin
    endpoint (test client, a fresh instance with the demo catalogue, a field that names no service)."""
    import json as _json
    from core import catalogue
    from core.actions.admin import load_catalogue
    from engines import pinyin
    from kiosk import create_app
    from kiosk.db import get_db

    sentences = sentence_pieces()
    results = {}
    with tempfile.TemporaryDirectory() as instance:
        os.environ["KIOSK_INSTANCE_PATH"] = instance
        app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            load_catalogue(get_db(), _json.loads(catalogue.DEMO_FILE.read_text(encoding="utf-8")))
        for locale, to_page in (("zh_Hans_CN", None), ("zh_Hant_TW", pinyin.traditional)):
            client = app.test_client()
            client.post("/language", data={"locale": locale, "next": "/"})
            results[locale] = measure_sentences(sentences, kiosk_asker(client), to_page)
    return results


def common_words() -> list[tuple[str, str]]:
    import wordfreq
    from pypinyin import Style, lazy_pinyin

    allowed = set(gb2312_characters())
    words = [w for w in wordfreq.iter_wordlist("zh", "large") if 2 <= len(w) <= 4 and set(w) <= allowed]
    return [("".join(lazy_pinyin(w, style=Style.NORMAL)), w) for w in words[:WORDS]]


def build_a_copy(where: Path) -> tuple[float, float, float]:
    """Seconds, peak RSS (MB) and size (MB) of building the index in a child, as a first use would."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "engines.pinyin", str(where)], cwd=ROOT, stdout=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit("building the index failed")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, where.stat().st_size / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        seconds, peak, size = build_a_copy(Path(work) / "pinyin.sqlite3")
    print(f"build (a child process): {seconds:.1f} s, peak RSS {peak:.0f} MB, index {size:.1f} MB")
    if not default_path().exists():
        raise SystemExit("the index is missing: run `make setup` (or .venv/bin/python -m engines.pinyin) first")
    words = common_words()
    given = {"words": words, "sentences": sentence_pieces()}
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(given), cwd=ROOT, capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    result = json.loads(done.stdout)
    times = [t * 1000 for t in result["times"]]
    median, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
    added = result["after"] - result["before"]
    ranks = result["ranks"]
    top1 = sum(r == 0 for r in ranks) / len(ranks)
    top10 = sum(r is not None for r in ranks) / len(ranks)
    print(f"first look-up in a fresh process (opens the index): {result['first'] * 1000:.1f} ms, "
          f"RSS {result['before']:.1f} → {result['opened']:.1f} MB")
    print(f"look-ups: median {median:.2f} ms, p95 {p95:.2f} ms, max {max(times):.2f} ms over {len(times)} "
          f"(every prefix of {len(words)} words); goal {GOAL_MS:.0f} ms: ratio {p95 / GOAL_MS:.2f}x")
    print(f"added RSS after all of them: {added:.1f} MB (goal < {GOAL_MB:.0f} MB)")
    print(f"the word first for its whole spelling: top-1 {top1:.1%}, top-10 {top10:.1%} of {len(ranks)} words")
    times = [t * 1000 for t in result["sentence_times"]]
    print(f"the residents' sentences, letter by letter: median {statistics.median(times):.2f} ms, "
          f"p95 {statistics.quantiles(times, n=20)[18]:.2f} ms, max {max(times):.2f} ms over {len(times)} look-ups")
    for locale, found in through_the_kiosk().items():
        ratio = found["first"] / found["pieces"]
        print(f"{locale}: the piece meant first for {found['first']} of {found['pieces']} pieces ({ratio:.1%}; "
              f"goal {SENTENCE_GOAL:.0%}: ratio {ratio / SENTENCE_GOAL:.2f}x); clauses typed in one go right by "
              f"first candidates: {found['clauses_right']} of {found['clauses']}")
        if "-v" in sys.argv:
            print("  missed: " + "\n  missed: ".join(found["misses"]))


if __name__ == "__main__":
    main()
