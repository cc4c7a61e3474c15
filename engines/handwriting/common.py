"""A reader of every common character that ignores stroke order, and which character goes on from which.

:mod:`~engines.handwriting.shapes` compares a drawing with the field's own characters only, so a
character the field's texts lack (灯 in a complaint) could never be proposed by it, and zinnia, which
reads strokes in the order drawn, loses almost every character written in another order. This reader
knows all 3,755 characters of GB 2312 level 1 (the list every school child learns first; Python's own
codec, :mod:`engines.charsets`) and looks only at the picture.

How it is built (:func:`build`, once, by ``make setup`` → ``python -m engines.handwriting``, into the
venv; about a minute, in a process of its own):

- **Templates from the box's fonts only.** Each character is drawn from the four faces Debian's
  ``fonts-noto-cjk`` installs (Noto Sans and Noto Serif CJK SC, regular and bold), as it is and once
  more turned and sheared a little (±6°, ±0.12; a fixed seed): eight pictures a character. Nothing is
  built from anyone's handwriting, and never from the strokes that measure it (bench/handwriting.py,
  npm hanzi-writer-data: test data only).
- **Pictures normalised both ways.** A hand stretches a character wider or taller than a font does, so
  each picture is scaled to fill the square in width and in height separately (a line thinner than a
  quarter of its length keeps its proportions: 一 stays flat). The drawing's pen is thinner than the
  font's strokes (0.6 of them): a finger's line is thinner than a filled stroke.
- **The edge-direction features of :func:`engines.handwriting.shapes.features`** (512 numbers), then
  **linear discriminant analysis** over the eight pictures of every character: the 200 directions that
  most separate characters relative to how one character's pictures differ among themselves (style,
  weight, slant). The within-character scatter is shrunk 10 % towards its mean variance (no data file
  is large enough to estimate 512 × 512 numbers exactly). The answer is the characters whose mean
  picture is nearest in those 200 dimensions.
- **Which character goes on from which**: every pair of neighbouring characters in the words of
  wordfreq's Chinese list (the same source as the pinyin keyboard) at least as frequent as one word in
  a million, GB 2312 characters only (:meth:`CommonIndex.goes_on`).

At run time: one 64 × 64 picture, its 512 features, a 512 × 200 projection and the distances to
3,755 means, all Pillow (no numpy: :class:`CommonIndex`): about 2 ms. The index is ~3.7 MB on disk and
in memory. Building it takes numpy, which ``make handwriting`` installs into a folder of its own that
only the build sees.
A missing index raises :class:`CommonUnavailable`; the caller reads without it (logged).
"""
from __future__ import annotations

import bisect
import hashlib
import heapq
import json
import math
import operator
import random
import sys
import threading
import zipfile
from array import array
from pathlib import Path

from PIL import Image, ImageMath

from ..charsets import LEVEL_1, gb2312
from . import shapes

FACES = (("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"), ("NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
         ("NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"), ("NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"))
FONTS = shapes.FONT.parent
PEN = 0.6  # the drawing's pen, as a share of the font's stroke width
THIN = 4  # a side shorter than a quarter of the other is not stretched (一, 丨)
DIMENSIONS = 200
SHRINK = 0.1
TURN, SHEAR, SEED = 6.0, 0.12, 7
COARSE = 32  # directions of the first, coarse search over every character
SHORTLIST = 100  # characters the coarse search keeps for the fine one
PAIR_MIN = 1e-6  # a word counts for "goes on" if this frequent (Zipf 3), as the pinyin keyboard's context


class CommonUnavailable(RuntimeError):
    """The index is not built (``make setup``), or numpy or a font is missing."""


def default_path() -> Path:
    """``<venv>/share/kiosk/handwriting-<key>.zip``; the key changes with the code and settings that build the
    index (not with the rest of this file) and with the fonts, so such a change makes a new one."""
    import inspect

    made_by = [build, _fill, _distorted, _pairs, shapes.features, shapes._ink, shapes._sobel]
    digest = hashlib.sha256("".join(inspect.getsource(f) for f in made_by).encode())
    digest.update(repr((FACES, PEN, THIN, DIMENSIONS, SHRINK, TURN, SHEAR, SEED, PAIR_MIN, shapes.SIDE, shapes.FILL,
                        shapes.GRID, shapes.DIRECTIONS, shapes.EM, LEVEL_1)).encode())
    for name, _ in FACES:
        font = FONTS / name
        if font.exists():
            digest.update(f"|{name} {font.stat().st_size}".encode())
    return Path(sys.prefix) / "share" / "kiosk" / f"handwriting-{digest.hexdigest()[:16]}.zip"


def _fill(ink: Image.Image) -> Image.Image:
    """``ink`` scaled to fill ``FILL`` of the square in width and height separately (thin shapes keep theirs)."""
    side = shapes.FILL * shapes.SIDE
    width, height = ink.size
    w = side if width * THIN > height else side * width / height
    h = side if height * THIN > width else side * height / width
    w, h = max(1, round(w)), max(1, round(h))
    picture = Image.new("L", (shapes.SIDE, shapes.SIDE))
    picture.paste(ink.resize((w, h), Image.Resampling.BILINEAR), ((shapes.SIDE - w) // 2, (shapes.SIDE - h) // 2))
    return picture


def _filling(width: float, height: float, fill: float) -> tuple[float, float]:
    """How much to stretch a drawing ``width`` × ``height`` to fill ``fill`` both ways (thin shapes keep theirs)."""
    sx = sy = fill / max(width, height)
    if width * THIN > height:
        sx = fill / width
    if height * THIN > width:
        sy = fill / height
    return sx, sy


def picture(strokes: shapes.Strokes, pen: float) -> Image.Image | None:
    """``strokes`` drawn with a pen ``pen`` wide (in the square), filling it both ways; None for a dot or nothing."""
    return shapes.drawn(strokes, pen, _filling)


def _distorted(ink: Image.Image, rng: random.Random) -> Image.Image:
    """``ink`` turned and sheared a little (about its middle), cut to its ink again."""
    angle, shear = math.radians(rng.uniform(-TURN, TURN)), rng.uniform(-SHEAR, SHEAR)
    width, height = ink.size
    room = Image.new("L", (width * 2, height * 2))
    room.paste(ink, (width // 2, height // 2))
    c, s = math.cos(angle), math.sin(angle)
    a, b, d, e = c, -s + shear, s, c
    matrix = (a, b, width - a * width - b * height, d, e, height - d * width - e * height)
    turned = room.transform(room.size, Image.Transform.AFFINE, matrix, resample=Image.Resampling.BILINEAR)
    return turned.crop(turned.getbbox())


def _pairs(characters: set[str]):
    """Neighbouring characters in wordfreq's Chinese words at least ``PAIR_MIN`` frequent, as sorted codes."""
    import numpy as np
    import wordfreq

    found: set[int] = set()
    for centibels, bucket in enumerate(wordfreq.get_frequency_list("zh", "large")):
        if wordfreq.cB_to_freq(-centibels) < PAIR_MIN:
            break
        for word in bucket:
            if len(word) > 1 and all(ch in characters for ch in word):
                found.update(ord(a) << 21 | ord(b) for a, b in zip(word, word[1:]))
    return np.array(sorted(found), dtype=np.int64)


def build(path: Path | str) -> Path:
    """Draw, describe and separate every character of GB 2312 level 1; write the index to ``path``."""
    import numpy as np

    path = Path(path)
    characters = gb2312(LEVEL_1)
    rng = random.Random(SEED)
    rows, labels = [], []
    pen = None
    for name, face in FACES:
        font = shapes._open(FONTS / name, face, shapes.EM)
        if pen is None:
            one, country = shapes._ink(font, "一"), shapes._ink(font, "国")
            pen = PEN * one.height * shapes.FILL * shapes.SIDE / max(country.size)
        for label, character in enumerate(characters):
            ink = shapes._ink(font, character)
            if ink is None:
                continue
            for variant in (ink, _distorted(ink, rng)):
                vector = shapes.features(_fill(variant))
                if vector is not None:
                    rows.append(np.frombuffer(vector.tobytes(), dtype=np.float32))
                    labels.append(label)
        del font
    # The scatters in float64 from float32 rows, a block at a time: the whole in float64 would need
    # 250 MB more, on a box of 1 GB. Within a character: E[x xᵀ] less its means' part; between: the means'.
    x, y = np.stack(rows), np.array(labels)
    del rows
    count, size = len(characters), x.shape[1]
    counts = np.bincount(y, minlength=count).astype(np.float64)
    means = np.zeros((count, size))
    np.add.at(means, y, x)
    means /= np.maximum(counts, 1)[:, None]
    products = np.zeros((size, size))
    for start in range(0, len(x), 4096):
        block = x[start:start + 4096].astype(np.float64)
        products += block.T @ block
    scatter_within = (products - (means.T * counts) @ means) / len(x)
    scatter_within = (1 - SHRINK) * scatter_within + SHRINK * np.trace(scatter_within) / size * np.eye(size)
    between = means - (counts @ means) / counts.sum()
    scatter_between = between.T @ between / count
    values, vectors = np.linalg.eigh(scatter_within)
    whiten = vectors / np.sqrt(values)
    _, directions = np.linalg.eigh(whiten.T @ scatter_between @ whiten)
    projection = whiten @ directions[:, ::-1][:, :DIMENSIONS]
    projected = means @ projection
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    meta = {"characters": "".join(characters), "pen": pen, "features": size, "dimensions": DIMENSIONS}
    with zipfile.ZipFile(partial, "w") as out:  # plain little-endian arrays: read without numpy
        out.writestr("meta.json", json.dumps(meta, ensure_ascii=False))
        out.writestr("projection.f32", projection.astype("<f4").tobytes())  # features × dimensions
        out.writestr("means.f32", projected.astype("<f4").tobytes())  # characters × dimensions
        out.writestr("norms.f32", (projected ** 2).sum(axis=1).astype("<f4").tobytes())
        out.writestr("pairs.i64", _pairs(set(gb2312())).astype("<i8").tobytes())
    partial.replace(path)
    return path


class CommonIndex:
    """The built index, opened: :meth:`closest` and :meth:`goes_on`. Read-only, so safe across threads.

    No numpy here: where numpy is installed, sqlite-utils imports it in every process that uses it
    (+11 MB each, the web process and the sync service). The features through the projection, and the
    coarse search, are Pillow's C operations on float images, as in
    :meth:`engines.handwriting.shapes.ShapeMatcher.closest`: each row multiplied by the query repeated
    on every row, then every row averaged (a box filter down to one column); the fine search is 100
    sums of 200 products in Python.
    """

    def __init__(self, path: Path | str):
        if sys.byteorder != "little":  # Pillow's "F" and array's "f" are the machine's own float32
            raise CommonUnavailable(f"{path}: the index is little-endian, this machine is not")
        try:
            with zipfile.ZipFile(path) as data:
                meta = json.loads(data.read("meta.json"))
                projection, means = data.read("projection.f32"), data.read("means.f32")
                self.norms = array("f", data.read("norms.f32"))
                self.pairs = array("q", data.read("pairs.i64"))
            self.characters: str = meta["characters"]
            self.pen: float = meta["pen"]
            self.features, self.dimensions = meta["features"], meta["dimensions"]
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise CommonUnavailable(f"no handwriting index at {path}: run `make setup` ({exc})") from exc
        count = len(self.characters)
        # the projection is stored features × dimensions; kept as dimensions × features (a row each)
        self.projection = Image.frombytes("F", (self.dimensions, self.features), projection).transpose(
            Image.Transpose.TRANSPOSE)
        self.coarse = Image.frombytes("F", (self.dimensions, count), means).crop((0, 0, COARSE, count))
        self.means = array("f", means)  # for the fine search, one row of ``dimensions`` a character
        del means
        self.coarse_norms = Image.frombytes("F", (1, count), array(
            "f", [sum(v * v for v in self.means[i * self.dimensions:i * self.dimensions + COARSE])
                  for i in range(count)]).tobytes())

    @staticmethod
    def _averages(rows: Image.Image, vector: Image.Image) -> Image.Image:
        """The average over each row of the float image ``rows`` times ``vector`` (a row as wide): one column."""
        width, height = rows.size
        products = ImageMath.lambda_eval(lambda image: image["q"] * image["t"],
                                         q=vector.resize((width, height), Image.Resampling.NEAREST), t=rows)
        return products.resize((1, height), Image.Resampling.BOX)

    def closest(self, strokes: shapes.Strokes, best: int = 10) -> list[str]:
        """The ``best`` common characters whose pictures are nearest ``strokes``'s, nearest first; [] for a dot.

        Coarse to fine: the distances in the first ``COARSE`` of the 200 directions (those that separate
        characters most) to every character, in Pillow; then in all 200 to the ``SHORTLIST`` nearest. Pillow's
        products over the whole 3,755 × 200 (two 3 MB images a drawing) took 20–100 ms on a busy box.
        """
        drawn = picture(strokes, self.pen)
        vector = shapes.features(drawn) if drawn is not None else None
        if vector is None or best <= 0:
            return []
        # the query projected, as a row (each value 1/features of the true one)
        query = self._averages(self.projection, Image.frombytes("F", (self.features, 1), vector.tobytes()))
        row = query.transpose(Image.Transpose.TRANSPOSE)
        averages = self._averages(self.coarse, row.crop((0, 0, COARSE, 1)))
        # squared distances less |query|² (the same for every character): |mean|² − 2 mean·query
        scale = 2.0 * self.features * COARSE
        distances = ImageMath.lambda_eval(lambda image: image["n"] - image["a"] * scale, n=self.coarse_norms, a=averages)
        values = array("f")
        values.frombytes(distances.tobytes())
        shortlist = heapq.nsmallest(max(SHORTLIST, best), range(len(values)), key=values.__getitem__)
        full = array("f")
        full.frombytes(row.tobytes())
        full = array("f", [value * self.features for value in full])
        size = self.dimensions
        nearest = heapq.nsmallest(best, shortlist, key=lambda i: self.norms[i] - 2 * sum(
            map(operator.mul, self.means[i * size:(i + 1) * size], full)))
        return [self.characters[i] for i in nearest]

    def goes_on(self, before: str, character: str) -> bool:
        """Whether ``before``'s last character and ``character`` are neighbours in a common word (道 → 路)."""
        if not before or not character:
            return False
        code = ord(before[-1]) << 21 | ord(character[0])
        at = bisect.bisect_left(self.pairs, code)
        return at < len(self.pairs) and self.pairs[at] == code


_shared: CommonIndex | None = None
_shared_lock = threading.Lock()


def index() -> CommonIndex:
    """The process's index, opened on first use (:class:`CommonUnavailable` if it is not built)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CommonIndex(default_path())
        return _shared
