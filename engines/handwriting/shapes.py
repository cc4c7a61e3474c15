"""A second reader of handwriting that ignores stroke order: the drawing's shape against the field's own characters.

zinnia (:mod:`~engines.handwriting.zinnia`) reads the strokes in the order they were drawn, and its
40 candidates sometimes miss the character altogether, most of all when a person has their own
stroke order or count. This module looks only at the picture: it draws the strokes as ink, draws
each character a field expects (a few hundred, :class:`~engines.handwriting.rerank.Expectation`) from
the box's own font, and names the expected characters whose picture is closest. It never proposes a
character the field does not expect; :func:`engines.handwriting.rerank.combine` merges its answer with
zinnia's.

Why it is built this way:

- **Templates from the font, not from anyone's handwriting.** Debian's ``fonts-noto-cjk`` (Noto Sans
  CJK SC, already installed for the pages) has every character the kiosk's texts use, in a plain
  sans-serif of even stroke width, the closest printed style to a finger's line. Nothing is learnt
  from the strokes that measure it (bench/handwriting.py).
- **Both pictures are made alike.** Each is moved and scaled, the same both ways, to fill the middle
  80 % of a 64 × 64 square (as :func:`~engines.handwriting.strokes.fitted` does for zinnia). A font
  fills its strokes and a finger draws lines, so the pen is drawn as thick as the font's own
  strokes (the height of 一 against the size of 国, read from the font), with round ends and
  joints, four times larger and then shrunk, so its edges are soft as the font's are. Thinning both
  to skeletons was the other way; it leaves spurs at every junction of a filled glyph and costs far
  more than drawing a thick line.
- **A feature that does not know the order.** Directions of the picture's edges: after a slight
  blur (σ 1 px), the edge strength in each of 8 directions (45° apart; the 3 × 3 Sobel derivative
  along that direction, negative parts dropped), pooled into an 8 × 8 grid with overlapping tent
  windows, square-rooted and scaled to length 1: 512 numbers. Edges are where a thick line and a
  filled stroke look the same, whatever their width, and a coarse grid forgives a hand's wobble.
  Two characters are compared by the cosine of their features; the nearest win.
- **Pillow alone, no numpy.** On the kiosk's 1 GB box zinnia's model already adds about 30 MB to the
  process; importing numpy adds 15 MB more, Pillow under 5 MB. Every step above is one of Pillow's
  C operations on small images, the comparison too: the templates of a field are the rows of one
  32-bit float image, and the query's cosines with all of them are one multiplication and one
  row average (:meth:`ShapeMatcher.closest`).
- **Templates once per vocabulary.** A field's templates are made when it is first written in
  (about half a millisecond a character; :meth:`ShapeMatcher.templates` makes them ahead) and
  remembered for the last three vocabularies (2 KB a character); the font is opened for that and
  closed again, so the pages of it that were read leave memory.

A missing font raises :class:`ShapeError` naming the Debian package, as a missing zinnia does: the
caller shows zinnia's candidates alone.
"""
from __future__ import annotations

import heapq
import math
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageMath

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FACE = "Noto Sans CJK SC"  # the .ttc holds JP, KR, SC, TC, HK faces: their shapes differ a little
SIDE = 64  # the square both pictures are drawn in
FILL = 0.8  # share of the square the character's longer side takes, as in strokes.fitted
GRID = 8  # pooled cells per side
DIRECTIONS = 8
FEATURES = DIRECTIONS * GRID * GRID
EM = 128  # the font's size when a glyph is drawn, before shrinking to SIDE
SUPERSAMPLE = 4  # the pen is drawn this much larger, then shrunk: soft edges like the font's
VOCABULARIES = 3  # vocabularies whose templates are remembered (2 KB a character): a visit writes in one to three

Strokes = list[list[tuple[float, float]]]


class ShapeError(RuntimeError):
    """The CJK font is missing or has no Simplified Chinese face."""


def _sobel(angle: float) -> ImageFilter.Kernel:
    """The derivative along ``angle`` (y down), negative values dropped by the 8-bit image."""
    c, s = math.cos(angle), math.sin(angle)
    gx = (-1, 0, 1, -2, 0, 2, -1, 0, 1)
    gy = (-1, -2, -1, 0, 0, 0, 1, 2, 1)
    return ImageFilter.Kernel((3, 3), [c * x + s * y for x, y in zip(gx, gy)], scale=4, offset=0)


_DERIVATIVES = [_sobel(2 * math.pi * k / DIRECTIONS) for k in range(DIRECTIONS)]
_BLUR = ImageFilter.GaussianBlur(1)


def features(picture: Image.Image) -> array | None:
    """The 512 edge-direction numbers of a ``SIDE`` × ``SIDE`` grey picture (ink bright), length 1; None if blank."""
    smooth = picture.filter(_BLUR)
    values = array("f")
    for derivative in _DERIVATIVES:
        edges = smooth.filter(derivative).convert("F").resize((GRID, GRID), Image.Resampling.BILINEAR)
        values.frombytes(edges.tobytes())
    rooted = [math.sqrt(v) if v > 0 else 0.0 for v in values]
    length = math.sqrt(sum(v * v for v in rooted))
    if length == 0:
        return None
    return array("f", [v / length for v in rooted])


def _open(font: Path, face: str, size: int) -> ImageFont.FreeTypeFont:
    """The face called ``face`` in the font collection ``font``, at ``size`` pixels."""
    index = 0
    while True:
        try:
            opened = ImageFont.truetype(str(font), size, index=index)
        except OSError as exc:
            if index == 0:
                raise ShapeError(f"{font}: cannot open the font: {exc} (Debian package fonts-noto-cjk)") from exc
            raise ShapeError(f"{font} has no face {face!r} (Debian package fonts-noto-cjk)") from exc
        if opened.getname()[0] == face:
            return opened
        index += 1


def _ink(font: ImageFont.FreeTypeFont, character: str) -> Image.Image | None:
    """``character`` drawn at the font's size, cut to its ink; None if it leaves no ink."""
    canvas = Image.new("L", (2 * EM, 2 * EM))
    ImageDraw.Draw(canvas).text((EM, EM), character, font=font, fill=255, anchor="mm")
    box = canvas.getbbox()
    return canvas.crop(box) if box else None


def _fitted(ink: Image.Image) -> Image.Image:
    """``ink`` scaled (the same both ways) so its longer side fills ``FILL`` of the square, in the middle."""
    scale = FILL * SIDE / max(ink.size)
    width, height = max(1, round(ink.width * scale)), max(1, round(ink.height * scale))
    picture = Image.new("L", (SIDE, SIDE))
    picture.paste(ink.resize((width, height), Image.Resampling.BILINEAR), ((SIDE - width) // 2, (SIDE - height) // 2))
    return picture


@dataclass(frozen=True)
class Templates:
    """One vocabulary's characters and their features, one row of a float image per character."""

    characters: tuple[str, ...]
    rows: Image.Image | None  # mode "F", FEATURES × len(characters); None when no character could be drawn


def drawn(strokes: Strokes, pen: float, scales: Callable[[float, float, float], tuple[float, float]] | None = None
          ) -> Image.Image | None:
    """``strokes`` drawn as ink in the square with a pen ``pen`` wide (in the square's pixels), with round
    ends and joints, ``SUPERSAMPLE`` times larger and then shrunk; None for a dot, nothing, or a point that
    is not a number. They are scaled about their middle to fill ``FILL`` of the square: by the same factor
    both ways (their shape kept), or by ``scales(width, height, fill)`` → ``(sx, sy)`` where given
    (:func:`engines.handwriting.common.picture` fills it both ways)."""
    points = [point for stroke in strokes for point in stroke]
    if not points:
        return None
    xs, ys = [x for x, _ in points], [y for _, y in points]
    if not math.isfinite(sum(xs) + sum(ys)):  # a point that is not a number, or off to infinity
        return None
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    if max(width, height) < 1.0:  # a tap
        return None
    big = SIDE * SUPERSAMPLE
    fill = FILL * big
    sx, sy = scales(width, height, fill) if scales else (fill / max(width, height),) * 2
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    line_width = max(1, round(pen * SUPERSAMPLE))
    radius = line_width / 2
    canvas = Image.new("L", (big, big))
    draw = ImageDraw.Draw(canvas)
    for stroke in strokes:
        line = [(big / 2 + (x - cx) * sx, big / 2 + (y - cy) * sy) for x, y in stroke]
        if len(line) > 1:
            draw.line(line, fill=255, width=line_width, joint="curve")
        for x, y in (line[0], line[-1]) if line else ():
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return canvas.reduce(SUPERSAMPLE)


class ShapeMatcher:
    """Compares drawings with the characters of a vocabulary drawn from one font. Safe across threads."""

    def __init__(self, font: Path | str = FONT, face: str = FACE, vocabularies: int = VOCABULARIES):
        self.font, self.face = Path(font), face
        opened = _open(self.font, face, EM)
        one, country = _ink(opened, "一"), _ink(opened, "国")
        if one is None or country is None:
            raise ShapeError(f"{font}: the face {face!r} draws no Chinese characters (Debian package fonts-noto-cjk)")
        #: The pen's width in the square: the font's stroke (the height of 一) as 国 is scaled to fit.
        self.pen = one.height * FILL * SIDE / max(country.size)
        self.templates = lru_cache(maxsize=vocabularies)(self._templates)

    def _templates(self, characters: frozenset[str]) -> Templates:
        """Features of every character of ``characters`` the font has (sorted, so the order is stable)."""
        font = _open(self.font, self.face, EM)
        missing = _ink(font, "\U000f0000")  # a private-use code point: the font's "no such glyph" box
        missing_bytes = missing.tobytes() if missing is not None else None
        kept, rows = [], []
        for character in sorted(characters):
            ink = _ink(font, character)
            if ink is None or ink.tobytes() == missing_bytes:
                continue
            vector = features(_fitted(ink))
            if vector is not None:
                kept.append(character)
                rows.append(vector.tobytes())
        del font  # closes the face: the pages of the 19 MB font it read leave memory
        if not kept:
            return Templates((), None)
        return Templates(tuple(kept), Image.frombytes("F", (FEATURES, len(kept)), b"".join(rows)))

    def picture(self, strokes: Strokes) -> Image.Image | None:
        """``strokes`` drawn as ink in the square, as thick as the font's strokes; None if they are a dot or nothing."""
        return drawn(strokes, self.pen)

    def closest(self, strokes: Strokes, characters: frozenset[str], best: int = 10) -> list[tuple[str, float]]:
        """The ``best`` characters of ``characters`` whose shape is closest to ``strokes``, closest first, with
        their cosine similarity (0–1). Stroke order, direction and count play no part. [] for nothing drawn.

        :param strokes: lists of ``(x, y)`` points, y growing downwards, in any square box
        :param characters: the field's vocabulary (a frozenset, so its templates can be remembered)
        """
        if not characters or best <= 0:
            return []
        picture = self.picture(strokes)
        query = features(picture) if picture is not None else None
        if query is None:
            return []
        templates = self.templates(frozenset(characters))
        if templates.rows is None:
            return []
        count = len(templates.characters)
        # The cosines of the query with every row, in C: the query repeated on every row, multiplied by
        # the rows, each row averaged (a box filter down to one column), times the row's length.
        one = Image.frombytes("F", (FEATURES, 1), query.tobytes())
        products = ImageMath.lambda_eval(lambda image: image["q"] * image["t"],
                                         q=one.resize((FEATURES, count), Image.Resampling.NEAREST), t=templates.rows)
        cosines = array("f")
        cosines.frombytes(products.resize((1, count), Image.Resampling.BOX).tobytes())
        found = heapq.nlargest(best, zip(cosines, templates.characters))
        return [(character, round(FEATURES * cosine, 4)) for cosine, character in found]


_shared: ShapeMatcher | None = None
_shared_lock = threading.Lock()


def matcher() -> ShapeMatcher:
    """The process's shape matcher, made on first use (raises :class:`ShapeError` without the font)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ShapeMatcher()
        return _shared


def closest(strokes: Strokes, characters: frozenset[str], best: int = 10) -> list[tuple[str, float]]:
    """The ``best`` characters of ``characters`` closest in shape to ``strokes`` (see :meth:`ShapeMatcher.closest`)."""
    return matcher().closest(strokes, characters, best)
