"""One receipt as an ESC/POS job: big type, Chinese in GB18030 with the printer's Chinese mode set.

A slip is a list of :class:`Block` — words already in the resident's language, and a QR code. The job
is built on python-escpos's ``Dummy`` printer (it rasterises the QR code, sets sizes and cuts the
paper) and sent as bytes by :mod:`.device` through whatever connection the box has.

Text never goes through python-escpos's ``text()``: that picks a code page by itself for some
characters (ESC t) and never sends the printer's Chinese-mode command, so a Chinese receipt came out as
a single-byte code page's symbols. Here every receipt, whatever its language, is printed in the
printer's Chinese mode (FS & … FS .) with its text encoded in GB18030 by this module: ASCII is one byte
there, so English prints as itself, and GB18030 holds the Traditional characters as well as the
Simplified (a Chinese-market printer's font is GB18030; Big5 is a Taiwanese printer's, which a
mainland centre does not have). Pictures, emoji and other symbols no receipt font has are left out.

Sizes are GS ! (the size of every character, Chinese and Latin alike); lines are wrapped here, by
display width (a Chinese character is two columns), so a word is never cut in the middle.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .library import printer_class

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"   # FS &: select Kanji (Chinese) character mode
CHINESE_OFF = FS + b"."  # FS .: cancel it
LF = b"\n"

#: Characters per line in font A at normal size, by paper width in mm (12×24-dot font, 203 dpi heads).
COLUMNS = {58: 32, 80: 48}
#: Dots across the printable width, by paper width (for the QR code's module size).
DOTS = {58: 384, 80: 576}

#: Block kinds → (width, height) magnification. "big" is the ticket; "heading" the title and the
#: labels; "text" everything else: double height at least, for eyes over seventy.
SIZES = {"big": (3, 3), "heading": (2, 2), "text": (1, 2), "small": (1, 1)}


@dataclass(frozen=True)
class Block:
    """A piece of a slip: ``kind`` is one of :data:`SIZES`, ``"qr"`` (``text`` is the address) or
    ``"rule"`` (a line across); ``centre`` centres it; ``bold`` makes it bold."""

    kind: str
    text: str = ""
    centre: bool = False
    bold: bool = False


def printable(text: str) -> str:
    """``text`` without what a receipt font cannot print: emoji and pictographs (category So), variation
    selectors and zero-width joiners; non-breaking spaces become spaces."""
    kept = []
    for char in text.replace("\u00a0", " ").replace("\u202f", " "):
        category = unicodedata.category(char)
        if category == "So" or category == "Cf" or 0xFE00 <= ord(char) <= 0xFE0F:
            continue
        kept.append(char)
    return re.sub(r"(?<=\S) {2,}(?=\S)", " ", "".join(kept)).strip()  # "Repairs 🛠 of" → "Repairs of"


def encode(text: str) -> bytes:
    """GB18030 bytes of ``text`` as the printer's Chinese mode reads them."""
    return printable(text).encode("gb18030", errors="replace")


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F", "A") and ord(char) > 0x7F else 1


_TOKENS = re.compile(r"[^\s\u2e80-\uffff]+|\s|.")


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most ``columns`` display columns: breaks at spaces in Latin text, between any two
    Chinese characters, and inside a word only when the word alone is wider than a line."""
    lines: list[str] = []
    for paragraph in printable(text).splitlines() or [""]:
        line, used = "", 0
        tokens = _TOKENS.findall(paragraph)  # a Latin word is one token; each Chinese character its own
        for token in tokens:
            size = sum(_width(c) for c in token)
            if used + size > columns and line.strip():
                lines.append(line.rstrip())
                line, used = "", 0
                if token == " ":
                    continue
            while size > columns:  # a word wider than the line: cut it
                cut, taken = "", 0
                for char in token:
                    if taken + _width(char) > columns:
                        break
                    cut, taken = cut + char, taken + _width(char)
                lines.append(cut)
                token = token[len(cut):]
                size -= taken
            line, used = line + token, used + size
        lines.append(line.rstrip())
    return lines


def _qr_image(address: str, dots: int):
    import qrcode  # Pillow comes with it: imported here, at a job, not at start

    code = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1)
    code.add_data(address)
    code.make(fit=True)
    modules = code.modules_count + 8
    box = max(2, min(8, (dots // 2) // modules))  # about half the paper's width: big enough for any camera
    code.box_size = box
    return code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def job(blocks: list[Block], paper_mm: int = 80) -> bytes:
    """The whole print job for ``blocks``: initialise, Chinese mode on, each block, Chinese mode off, feed
    and cut."""
    columns, dots = COLUMNS[paper_mm], DOTS[paper_mm]
    printer = printer_class("Dummy")()
    # the paper's width in dots, on this printer's own copy of its profile: the QR code is centred by padding
    media = dict(printer.profile.profile_data.get("media", {}), width={"mm": paper_mm, "pixels": dots})
    printer.profile.profile_data = dict(printer.profile.profile_data, media=media)
    printer._raw(INIT + CHINESE_ON)
    for block in blocks:
        printer.set(align="center" if block.centre else "left", bold=block.bold)
        if block.kind == "qr":
            printer.image(_qr_image(block.text, dots), impl="bitImageRaster", center=True)
            continue
        if block.kind == "rule":
            printer.set(custom_size=True, width=1, height=1)
            printer._raw(b"-" * columns + LF)
            continue
        width, height = SIZES[block.kind]
        printer.set(custom_size=True, width=width, height=height)
        for line in wrap(block.text, columns // width):
            printer._raw(encode(line) + LF)
    printer.set(custom_size=True, width=1, height=1)
    printer.set(align="left", bold=False)
    printer._raw(CHINESE_OFF)
    printer.cut()
    return printer.output
