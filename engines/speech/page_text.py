"""What a page says, read from the page itself: the text of its ``<main>``, in reading order.

Reading the rendered page (rather than keeping a second copy of each page's words) means every page
can speak, and what it speaks is what it shows. Left out: decorative pictograms (``aria-hidden``),
scripts, the QR code's drawing, and anything marked ``data-speech="skip"`` (the keypad's 29 keys).
Text marked ``data-speech-spell`` (a ticket number, a check code) is read one character at a time.
"""
from __future__ import annotations

from html.parser import HTMLParser


BLOCKS = {"p", "h1", "h2", "h3", "li", "dt", "dd", "button", "a", "label", "legend", "div", "section", "td", "th"}
VOID = {"br", "hr", "img", "input", "link", "meta", "source", "wbr"}
SKIP = {"script", "style", "svg", "template", "audio", "noscript", "select", "option", "textarea"}


class _MainText(HTMLParser):
    def __init__(self, speech: str):
        super().__init__(convert_charrefs=True)
        self.speech = speech
        self.depth_in_main = 0
        self.skip_depth = 0
        self.ticket_depth = 0
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, starts skipping, starts ticket)
        self.chunks: list[str] = []
        self.current: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.chunks.append(text)
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
        self.stack.append((tag, skipping, ticket))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            opened, skipping, ticket = self.stack.pop()
            if skipping:
                self.skip_depth -= 1
            if ticket:
                self.ticket_depth -= 1
                characters = "".join("".join(self.current).split())
                separator = ", " if self.speech == "english" else "，"
                self.current = [separator.join(characters)] if characters else []
            if opened in BLOCKS:
                self._flush()
            if opened == "main":
                self.depth_in_main -= 1
            if opened == tag:
                break

    def handle_data(self, data):
        if self.depth_in_main and not self.skip_depth:
            self.current.append(data)


def page_text(html: str, speech: str) -> str:
    """The words of the page's ``<main>``, one sentence per block, ready for :func:`speakable`."""
    parser = _MainText(speech)
    parser.feed(html)
    parser.close()
    parser._flush()
    stop = "." if speech == "english" else "。"
    endings = tuple("。！？!?.；;：:，,")
    return " ".join(chunk if chunk.endswith(endings) else chunk + stop for chunk in parser.chunks)
