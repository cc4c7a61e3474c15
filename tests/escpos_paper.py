"""A strict little ESC/POS reader for tests: what a receipt printer would put on paper, from the bytes.

Written from Epson's ESC/POS command reference, not from python-escpos or core/printing: no registry
(PyPI, npm) has a tool that renders ESC/POS *bytes* to a picture (npm's receiptline renders its own
document format, and python-escpos only writes bytes). It knows the few commands a receipt needs and
refuses anything else, so a stray command (a code-page switch, a byte above 0x7F outside Chinese mode)
fails the test instead of printing rubbish on a real printer:

    LF  ESC @  ESC E n  ESC a n  ESC ! n  ESC d n  GS ! n  GS V m / GS V m n  GS v 0 (raster image)
    FS & (Chinese mode on: bytes 0x81-0xFE start a GB18030 character)  FS . (off)

:func:`read` gives the lines (text, size, alignment, bold) and images; :func:`draw` lays them on a
576-dot (80 mm) strip as a Pillow image, characters 12×24 dots (Chinese 24×24) times GS ! sizes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS, LF = 0x1B, 0x1D, 0x1C, 0x0A
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
BOLD_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"


class NotEscPos(ValueError):
    """Bytes a receipt printer would not print as meant."""


@dataclass
class Line:
    text: str
    width: int = 1
    height: int = 1
    align: int = 0  # 0 left, 1 centre, 2 right
    bold: bool = False
    chinese_mode: bool = False  # whether FS & was in force when the line was printed


@dataclass
class Image:
    width: int
    height: int
    rows: list[list[bool]]
    align: int = 0


@dataclass
class Paper:
    items: list = field(default_factory=list)  # Line | Image, in order
    initialised: bool = False
    cut: bool = False
    commands: list[str] = field(default_factory=list)  # the commands met, by name, in order

    @property
    def lines(self) -> list[Line]:
        return [i for i in self.items if isinstance(i, Line)]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def read(data: bytes) -> Paper:
    paper = Paper()
    chinese, bold, align, width, height = False, False, 0, 1, 1
    pending = bytearray()
    i = 0

    def need(count: int) -> bytes:
        if i + count > len(data):
            raise NotEscPos(f"command cut short at byte {i}")
        return data[i:i + count]

    def flush() -> None:
        text = pending.decode("gb18030") if chinese or pending.isascii() else None
        if text is None:
            raise NotEscPos("bytes above 0x7F outside Chinese mode")
        paper.items.append(Line(text, width, height, align, bold, chinese))
        pending.clear()

    while i < len(data):
        b = data[i]
        if b == LF:
            flush()
            i += 1
        elif b == ESC:
            op = need(2)[1]
            if op == ord("@"):
                paper.initialised, chinese, bold, align, width, height = True, False, False, 0, 1, 1
                paper.commands.append("ESC @")
                i += 2
            elif op in (ord("E"), ord("a"), ord("!"), ord("d")):
                n = need(3)[2]
                if op == ord("E"):
                    bold = bool(n & 1)
                elif op == ord("a"):
                    if n not in (0, 1, 2, 48, 49, 50):
                        raise NotEscPos(f"ESC a {n}")
                    align = n % 48
                elif op == ord("!"):
                    width, height = (2 if n & 0x20 else 1), (2 if n & 0x10 else 1)
                elif op == ord("d"):
                    if pending:
                        flush()
                    paper.items.extend(Line("", 1, 1, align, bold, chinese) for _ in range(n))
                paper.commands.append(f"ESC {chr(op)}")
                i += 3
            else:
                raise NotEscPos(f"ESC {op:#04x} at byte {i}: not a command a receipt needs")
        elif b == GS:
            op = need(2)[1]
            if op == ord("!"):
                n = need(3)[2]
                width, height = (n >> 4) + 1, (n & 0x0F) + 1
                if width > 8 or height > 8:
                    raise NotEscPos(f"GS ! {n:#04x}")
                paper.commands.append("GS !")
                i += 3
            elif op == ord("V"):
                m = need(3)[2]
                paper.cut = True
                paper.commands.append("GS V")
                i += 4 if m in (65, 66) else 3
            elif op == ord("v"):
                header = need(8)
                if header[2] != ord("0") or header[3] not in (0, 1, 2, 3, 48, 49, 50, 51):
                    raise NotEscPos("GS v: only GS v 0 (raster bit image)")
                x_bytes = header[4] + 256 * header[5]
                rows = header[6] + 256 * header[7]
                body = data[i + 8:i + 8 + x_bytes * rows]
                if len(body) != x_bytes * rows:
                    raise NotEscPos("GS v 0: image cut short")
                bits = [[bool(body[r * x_bytes + c // 8] & (0x80 >> (c % 8))) for c in range(x_bytes * 8)]
                        for r in range(rows)]
                paper.items.append(Image(x_bytes * 8, rows, bits, align))
                paper.commands.append("GS v 0")
                i += 8 + x_bytes * rows
            else:
                raise NotEscPos(f"GS {op:#04x} at byte {i}: not a command a receipt needs")
        elif b == FS:
            op = need(2)[1]
            if op == ord("&"):
                chinese = True
            elif op == ord("."):
                chinese = False
            else:
                raise NotEscPos(f"FS {op:#04x} at byte {i}")
            paper.commands.append(f"FS {chr(op)}")
            i += 2
        elif b < 0x20:
            raise NotEscPos(f"control byte {b:#04x} at byte {i}")
        else:
            if b >= 0x80 and not chinese:
                raise NotEscPos(f"byte {b:#04x} at {i} outside Chinese mode: the printer would take it from a code page")
            pending.append(b)
            i += 1
    if pending:
        raise NotEscPos("text left unprinted at the end (no LF)")
    return paper


DOTS = 576  # an 80 mm head at 203 dpi


def draw(paper: Paper, dots: int = DOTS):
    """The paper as a printer would print it: a Pillow image, black on white."""
    from PIL import Image as Picture
    from PIL import ImageDraw, ImageFont

    fonts: dict = {}

    def font(size: int, bold: bool):
        key = (size, bold)
        if key not in fonts:
            fonts[key] = ImageFont.truetype(BOLD_FONT if bold else FONT, size)
        return fonts[key]

    def char_width(char: str, w: int) -> int:
        return (24 if ord(char) > 0x7F else 12) * w

    height = sum(24 * item.height + 6 if isinstance(item, Line) else item.height for item in paper.items) + 40
    sheet = Picture.new("L", (dots, height), 255)
    pen = ImageDraw.Draw(sheet)
    y = 20
    for item in paper.items:
        if isinstance(item, Image):
            x = {0: 0, 1: (dots - item.width) // 2, 2: dots - item.width}[item.align]
            for r, row in enumerate(item.rows):
                for c, black in enumerate(row):
                    if black and 0 <= x + c < dots:
                        sheet.putpixel((x + c, y + r), 0)
            y += item.height
            continue
        line_width = sum(char_width(ch, item.width) for ch in item.text)
        if line_width > dots:
            raise NotEscPos(f"line wider than the paper ({line_width} > {dots} dots): {item.text!r}")
        x = {0: 0, 1: (dots - line_width) // 2, 2: dots - line_width}[item.align]
        for char in item.text:
            cell = char_width(char, item.width)
            glyph = Picture.new("L", (cell // item.width, 24), 255)
            ImageDraw.Draw(glyph).text((cell // item.width // 2, 12), char, font=font(22 if ord(char) > 0x7F else 20, item.bold),
                                        fill=0, anchor="mm")
            sheet.paste(glyph.resize((cell, 24 * item.height)), (x, y))
            x += cell
        y += 24 * item.height + 6
    pen.line([(0, y + 10), (dots, y + 10)], fill=128)
    return sheet.crop((0, 0, dots, y + 20))
