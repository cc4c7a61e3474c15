"""What a page says, read from the page itself: the text of its ``<main>``, in reading order.

Reading the rendered page (rather than keeping a second copy of each page's words) means every page
can speak, and what it speaks is what it shows. Left out: decorative pictograms (``aria-hidden``),
scripts, the QR code's drawing, and anything marked ``data-speech="skip"`` (the keypad's 29 keys).
Text marked ``data-speech-spell`` (a ticket number, a check code, a telephone number) is read one
character at a time: only that element's own text, not the words before it in the same block (the
receipt's "Check code" label sits outside its ``<strong>``).

:func:`page_parts` gives the same words as :func:`page_text`, cut into :class:`Words` and
:class:`Spell` parts, so that what changes per resident can be assembled from pre-rendered clips
(:mod:`engines.speech.clips`).
"""
from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Union


BLOCKS = {"p", "h1", "h2", "h3", "li", "dt", "dd", "button", "a", "label", "legend", "div", "section", "td", "th"}
VOID = {"br", "hr", "img", "input", "link", "meta", "source", "wbr"}
SKIP = {"script", "style", "svg", "template", "audio", "noscript", "select", "option", "textarea"}


@dataclass(frozen=True)
class Words:
    """Words spoken as they are: one block's sentence, or the words before a spelled item in it (then
    without a stop). ``text`` is what a clip of these words is rendered from."""
    text: str


@dataclass(frozen=True)
class Spell:
    """Characters read one at a time (``"A0012"``), whitespace removed."""
    characters: str


Part = Union[Words, Spell]
ENDINGS = tuple("。！？!?.；;：:，,")


class _Spelled(str):
    """In the parser's current text: characters to spell, not words."""


class _MainText(HTMLParser):
    def __init__(self, speech: str):
        super().__init__(convert_charrefs=True)
        self.speech = speech
        self.depth_in_main = 0
        self.skip_depth = 0
        self.ticket_depth = 0
        self.stack: list[tuple[str, bool, int | None]] = []  # (tag, starts skipping, where its spelled text starts)
        self.blocks: list[list[str]] = []  # each block: its pieces of text, spelled ones as _Spelled
        self.current: list[str] = []

    def _flush(self) -> None:
        if "".join(self.current).split():
            self.blocks.append(self.current)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attributes = dict(attrs)
        if tag == "main":
            self.depth_in_main += 1
        skipping = tag in SKIP or attributes.get("aria-hidden") == "true" or attributes.get("data-speech") == "skip"
        ticket = "data-speech-spell" in attributes
        if skipping:
            self.skip_depth += 1
        if ticket:
            self.ticket_depth += 1
        if tag in BLOCKS:
            self._flush()
        self.stack.append((tag, skipping, len(self.current) if ticket else None))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            opened, skipping, ticket = self.stack.pop()
            if skipping:
                self.skip_depth -= 1
            if ticket is not None:
                self.ticket_depth -= 1
                characters = "".join("".join(self.current[ticket:]).split())
                self.current[ticket:] = [_Spelled(characters)] if characters else []
            if opened in BLOCKS:
                self._flush()
            if opened == "main":
                self.depth_in_main -= 1
            if opened == tag:
                break

    def handle_data(self, data):
        if self.depth_in_main and not self.skip_depth:
            self.current.append(data)


def _blocks(html: str, speech: str) -> list[list[str]]:
    parser = _MainText(speech)
    parser.feed(html)
    parser.close()
    parser._flush()
    return parser.blocks


def _stop(speech: str) -> str:
    return "." if speech == "english" else "。"


def page_text(html: str, speech: str) -> str:
    """The words of the page's ``<main>``, one sentence per block, ready for :func:`speakable`; spelled
    items as ``A，0，0，1，2`` (``A, 0, 0, 1, 2`` in English)."""
    separator = ", " if speech == "english" else "，"
    chunks = []
    for block in _blocks(html, speech):
        text = "".join(separator.join(piece) if isinstance(piece, _Spelled) else piece for piece in block)
        chunk = " ".join(text.split())
        chunks.append(chunk if chunk.endswith(ENDINGS) else chunk + _stop(speech))
    return " ".join(chunks)


def page_parts(html: str, speech: str) -> list[Part]:
    """The words of :func:`page_text`, in order, as parts: each block's words as one :class:`Words`
    ending in its stop (as in :func:`page_text`), except that a spelled item in a block becomes a
    :class:`Spell` of its own and the words before it a :class:`Words` without a stop added."""
    parts: list[Part] = []
    for block in _blocks(html, speech):
        words: list[str] = []
        for piece in block:
            if isinstance(piece, _Spelled):
                text = " ".join("".join(words).split())
                if text:
                    parts.append(Words(text))
                parts.append(Spell(str(piece)))
                words = []
            else:
                words.append(piece)
        text = " ".join("".join(words).split())
        if text:
            parts.append(Words(text if text.endswith(ENDINGS) else text + _stop(speech)))
    return parts
