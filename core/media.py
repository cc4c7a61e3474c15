"""What a resident says or shows instead of writing: spoken answers and photos (owns ``media``).

- A **spoken answer** is a recording kept for one question (its code in ``field``): what Chromium's
  MediaRecorder gives on the kiosk's screen (WebM/Opus), or what a phone's own recorder gives through a
  file input (MP4/AAC, 3GP/AMR, Ogg, WAV, MP3…), stored as it came. What it is is found from its first
  bytes (:func:`sniff_audio`), never from what the browser said; it may be at most :data:`MAX_AUDIO_SECONDS`
  long and :data:`MAX_AUDIO_BYTES` big. A worker plays it and writes down what was said (:func:`write_down`);
  the written words become the answer the county receives (:mod:`core.actions.worker`).
- A **photo** (``field = 'photo'``, at most :data:`MAX_PHOTOS` a request) is shrunk on the box
  (:func:`shrink_photo`: longest side :data:`PHOTO_SIDE`, JPEG quality :data:`PHOTO_QUALITY`), which
  also drops everything but the pixels: location, camera, time, thumbnails.

Both are sealed at rest with the data key (:meth:`core.crypto.Keyring.seal_bytes`, bound to the column),
held by a draft while it is filled in and moved to the request when it is saved
(:func:`attach_to_request`, in the saving transaction), and deleted with the request's other details
by the purge (:func:`forget_for_requests`, :mod:`core.retention`); a draft's go with the draft (the
table's foreign key cascades).
"""
from __future__ import annotations

import io
import secrets
import struct
from dataclasses import dataclass

from sqlite_utils import Database

from .clock import utc_now
from .db import require_transaction

DATA = "media.data"
WRITTEN = "media.written"
SHARE = "media.share_token"
AUDIO, PHOTO = "audio", "photo"
PHOTO_FIELD = "photo"

MAX_AUDIO_SECONDS = 120
MAX_AUDIO_BYTES = 6 * 1024 * 1024      # two minutes from a phone's recorder at 256 kbit/s, and room to spare
MAX_PHOTO_UPLOAD = 16 * 1024 * 1024    # what a phone's camera gives; kept only after shrinking
MAX_PHOTO_PIXELS = 50_000_000          # a bigger picture is refused before it is decoded (a decompression bomb)
MAX_PHOTOS = 3
PHOTO_SIDE = 1600
PHOTO_QUALITY = 80


class MediaRefused(ValueError):
    """An upload the kiosk does not keep; ``reason`` is one of ``empty``, ``too_large``, ``not_audio``,
    ``too_long``, ``not_photo``, ``too_many`` (the web layer says each politely)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class AlreadyWritten(RuntimeError):
    """A spoken answer written down already (a colleague, a second tap): nothing changed."""


@dataclass(frozen=True)
class Item:
    id: int
    draft_id: str | None
    request_id: int | None
    field: str
    kind: str
    mime: str
    bytes: int
    seconds: float | None
    width: int | None
    height: int | None
    written_by: str | None
    written_at: str | None
    created_at: str

    @property
    def written_down(self) -> bool:
        return self.written_at is not None


COLUMNS = ("id, draft_id, request_id, field, kind, mime, bytes, seconds, width, height, written_by, written_at,"
           " created_at")


def _items(db: Database, where: str, params: list) -> list[Item]:
    return [Item(**row) for row in db.query(f"SELECT {COLUMNS} FROM media WHERE {where} ORDER BY id", params)]


# --- checking what came in ---------------------------------------------------------------------------


def sniff_audio(data: bytes) -> str | None:
    """The audio type of ``data`` from its first bytes, or None when it is not a recording we know."""
    head = data[:16]
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "audio/3gpp" if head[8:11] == b"3gp" else "audio/mp4"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/aac" if head[1] & 0x06 == 0 else "audio/mpeg"
    return None


def _wav_seconds(data: bytes) -> float | None:
    position, rate = 12, None
    while position + 8 <= len(data):
        chunk, size = data[position:position + 4], struct.unpack("<I", data[position + 4:position + 8])[0]
        if chunk == b"fmt " and size >= 16:
            _, channels, sample_rate, byte_rate = struct.unpack("<HHII", data[position + 8:position + 20])
            rate = byte_rate
        elif chunk == b"data" and rate:
            return min(size, len(data) - position - 8) / rate
        position += 8 + size + (size & 1)
    return None


def _ogg_seconds(data: bytes) -> float | None:
    last = data.rfind(b"OggS")
    if last < 0 or last + 14 > len(data):
        return None
    granule = struct.unpack("<q", data[last + 6:last + 14])[0]
    rate = 48000 if b"OpusHead" in data[:200] else None
    if rate is None and b"\x01vorbis" in data[:200]:
        at = data.index(b"\x01vorbis")
        rate = struct.unpack("<I", data[at + 12:at + 16])[0]
    return granule / rate if rate and granule > 0 else None


def _mp4_seconds(data: bytes) -> float | None:
    at = data.find(b"mvhd")
    if at < 0:
        return None
    version = data[at + 4]
    try:
        if version == 1:
            timescale, duration = struct.unpack(">IQ", data[at + 24:at + 36])
        else:
            timescale, duration = struct.unpack(">II", data[at + 16:at + 24])
    except struct.error:
        return None
    return duration / timescale if timescale else None


def audio_seconds(data: bytes, mime: str) -> float | None:
    """How long a recording is, read from its own header where its format says (WAV, Ogg, MP4); None
    where it does not (Chromium's WebM carries no duration: the page measures it while recording)."""
    reader = {"audio/wav": _wav_seconds, "audio/ogg": _ogg_seconds, "audio/mp4": _mp4_seconds,
              "audio/3gpp": _mp4_seconds}.get(mime)
    try:
        return reader(data) if reader else None
    except (struct.error, IndexError, ValueError):
        return None


def check_audio(data: bytes, declared_seconds: float | None = None) -> tuple[str, float | None]:
    """``(type, seconds)`` of a recording worth keeping, else :class:`MediaRefused`. The length read from
    the file wins over the one the page measured (``declared_seconds``), which is only taken when sane."""
    if not data:
        raise MediaRefused("empty")
    if len(data) > MAX_AUDIO_BYTES:
        raise MediaRefused("too_large")
    mime = sniff_audio(data)
    if mime is None:
        raise MediaRefused("not_audio")
    seconds = audio_seconds(data, mime)
    if seconds is None and declared_seconds is not None and 0 < declared_seconds <= 24 * 3600:
        seconds = declared_seconds
    if seconds is not None and seconds > MAX_AUDIO_SECONDS + 2:  # the page stops at 120 s; a little slack
        raise MediaRefused("too_long")
    return mime, (round(seconds, 1) if seconds is not None else None)


def shrink_photo(data: bytes) -> tuple[bytes, int, int]:
    """A photo as the kiosk keeps it: upright (its EXIF orientation applied), its longest side at most
    :data:`PHOTO_SIDE`, JPEG at :data:`PHOTO_QUALITY`, with no metadata at all (no location, camera,
    time or embedded thumbnail: only pixels are written). ``(jpeg, width, height)``, else :class:`MediaRefused`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise MediaRefused("empty")
    if len(data) > MAX_PHOTO_UPLOAD:
        raise MediaRefused("too_large")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.format not in ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"):
                raise MediaRefused("not_photo")
            if picture.width * picture.height > MAX_PHOTO_PIXELS:
                raise MediaRefused("too_large")
            # A JPEG decodes at 1/2, 1/4 or 1/8 size where that still covers the size kept: fast, little memory.
            # (The size asked keeps the picture's shape: a square one would stop a 4:3 photo at full size.)
            longest = max(picture.size)
            picture.draft("RGB", (picture.width * PHOTO_SIDE // longest, picture.height * PHOTO_SIDE // longest))
            orientation = picture.getexif().get(0x0112, 1)
            picture.load()
            upright = ImageOps.exif_transpose(picture) if orientation != 1 else picture
            upright = upright.convert("RGB")
            upright.thumbnail((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.LANCZOS)
            pixels = Image.new("RGB", upright.size)  # a fresh image: nothing of the original's info comes along
            pixels.paste(upright)
            out = io.BytesIO()
            pixels.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True, progressive=True)
            return out.getvalue(), pixels.width, pixels.height
    except MediaRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise MediaRefused("not_photo") from None


# --- a draft's media ---------------------------------------------------------------------------------


def keep_spoken(db: Database, draft_id: str, field: str, data: bytes, mime: str, seconds: float | None) -> int:
    """Keep a spoken answer to question ``field`` of a draft, replacing one kept before ("record again")."""
    require_transaction(db)
    db.execute("DELETE FROM media WHERE draft_id = ? AND field = ? AND kind = ?", [draft_id, field, AUDIO])
    return db.execute(
        "INSERT INTO media (draft_id, field, kind, mime, bytes, seconds, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [draft_id, field, AUDIO, mime, len(data), seconds, db.keyring.seal_bytes(data, DATA), utc_now()]).lastrowid


def add_photo(db: Database, draft_id: str, jpeg: bytes, width: int, height: int) -> int:
    """Keep a (shrunk) photo with a draft; :class:`MediaRefused` (``too_many``) past :data:`MAX_PHOTOS`.

    Each photo gets, once, a long random token (:func:`shared`): the address a county that takes media
    (``KIOSK_COUNTY_MEDIA=media_url``) is given for it, the same on every send. Kept sealed, found by its
    keyed hash, so a copy of the database alone gives no address away."""
    require_transaction(db)
    held = db.execute("SELECT COUNT(*) FROM media WHERE draft_id = ? AND kind = ?", [draft_id, PHOTO]).fetchone()[0]
    if held >= MAX_PHOTOS:
        raise MediaRefused("too_many")
    token = secrets.token_urlsafe(32)
    return db.execute(
        "INSERT INTO media (draft_id, field, kind, mime, bytes, width, height, data, share_token, share_key, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [draft_id, PHOTO_FIELD, PHOTO, "image/jpeg", len(jpeg), width, height, db.keyring.seal_bytes(jpeg, DATA),
         db.keyring.seal(token, SHARE), db.keyring.lookup_keys(token)[0], utc_now()]).lastrowid


def shared(db: Database, request_id: int) -> str | None:
    """The token of a saved request's first photo (what a county that takes media is sent), or None."""
    row = db.execute("SELECT share_token FROM media WHERE request_id = ? AND kind = ? AND share_token IS NOT NULL"
                     " ORDER BY id LIMIT 1", [request_id, PHOTO]).fetchone()
    return db.keyring.open(row[0], SHARE) if row else None


def by_share(db: Database, token: str) -> Item | None:
    """The saved request's photo a token names (a county fetching what it was sent), or None."""
    if not token or len(token) > 100:
        return None
    keys = db.keyring.lookup_keys(token)
    found = _items(db, f"share_key IN ({','.join('?' * len(keys))}) AND request_id IS NOT NULL", keys)
    return found[0] if found else None


def remove(db: Database, draft_id: str, media_id: int) -> bool:
    """Take a recording or a photo out of a draft (the resident said so); False when it was not there."""
    require_transaction(db)
    return db.execute("DELETE FROM media WHERE id = ? AND draft_id = ?", [media_id, draft_id]).rowcount == 1


def for_draft(db: Database, draft_id: str) -> list[Item]:
    return _items(db, "draft_id = ?", [draft_id])


def spoken_fields(db: Database, draft_id: str) -> dict[str, Item]:
    """The draft's spoken answers by question code."""
    return {item.field: item for item in for_draft(db, draft_id) if item.kind == AUDIO}


def item(db: Database, media_id: int) -> Item | None:
    found = _items(db, "id = ?", [media_id])
    return found[0] if found else None


def content(db: Database, media_id: int) -> bytes:
    """The plain bytes of one recording or photo (the caller has checked who may have them)."""
    row = db.execute("SELECT data FROM media WHERE id = ?", [media_id]).fetchone()
    if row is None:
        raise KeyError(media_id)
    return db.keyring.open_bytes(row[0], DATA)


# --- a saved request's media -------------------------------------------------------------------------


def attach_to_request(db: Database, draft_id: str, request_id: int) -> int:
    """Move a draft's media to the request it was saved as (a step of saving, before the draft is
    deleted); return how many spoken answers wait to be written down."""
    require_transaction(db)
    db.execute("UPDATE media SET request_id = ?, draft_id = NULL WHERE draft_id = ?", [request_id, draft_id])
    return unwritten(db, request_id)


def for_request(db: Database, request_id: int) -> list[Item]:
    return _items(db, "request_id = ?", [request_id])


def unwritten(db: Database, request_id: int) -> int:
    """How many of the request's spoken answers no worker has written down yet."""
    return db.execute("SELECT COUNT(*) FROM media WHERE request_id = ? AND kind = ? AND written IS NULL",
                      [request_id, AUDIO]).fetchone()[0]


def to_write_down(db: Database) -> list[Item]:
    """Spoken answers of saved requests still to be written down, oldest first (the worklist)."""
    return _items(db, "kind = 'audio' AND request_id IS NOT NULL AND written IS NULL", [])


def written(db: Database, media_id: int) -> str:
    """What a worker wrote down from a spoken answer ("" before)."""
    row = db.execute("SELECT written FROM media WHERE id = ?", [media_id]).fetchone()
    return db.keyring.open(row[0], WRITTEN) if row and row[0] else ""


def write_down(db: Database, media_id: int, text: str, login: str, at: str | None = None) -> Item:
    """Keep what worker ``login`` wrote down from a spoken answer; :class:`AlreadyWritten` when someone
    did already (nothing changes). The caller makes the words the request's answer."""
    require_transaction(db)
    changed = db.execute("UPDATE media SET written = ?, written_by = ?, written_at = ? WHERE id = ? AND kind = ?"
                         " AND request_id IS NOT NULL AND written IS NULL",
                         [db.keyring.seal(text, WRITTEN), login, at or utc_now(), media_id, AUDIO]).rowcount
    if not changed:
        raise AlreadyWritten(media_id)
    return item(db, media_id)


def forget_for_requests(db: Database, request_ids: list[int]) -> int:
    """Delete the recordings and photos of these requests (the purge; the caller owns the transaction)."""
    require_transaction(db)
    gone = 0
    for i in range(0, len(request_ids), 500):
        chunk = request_ids[i:i + 500]
        gone += db.execute(f"DELETE FROM media WHERE request_id IN ({','.join('?' * len(chunk))})", chunk).rowcount
    return gone


def reseal(db: Database) -> int:
    """Seal again, with the current key, every recording, photo and written text that is not."""
    require_transaction(db)
    count = 0
    prefix = db.keyring.current_prefix
    for row in list(db.query("SELECT id, data, written, share_token FROM media WHERE substr(data, 1, 14) <> CAST(? AS BLOB)"
                             " OR (written IS NOT NULL AND written NOT LIKE ? || '%')"
                             " OR (share_token IS NOT NULL AND share_token NOT LIKE ? || '%')", [prefix, prefix, prefix])):
        data = db.keyring.renewed_bytes(row["data"], DATA)
        text = db.keyring.renewed(row["written"], WRITTEN)
        if data is not None:
            db.execute("UPDATE media SET data = ? WHERE id = ?", [data, row["id"]])
        if text is not None:
            db.execute("UPDATE media SET written = ? WHERE id = ?", [text, row["id"]])
        if row["share_token"] and not db.keyring.is_current(row["share_token"]):
            token = db.keyring.open(row["share_token"], SHARE)
            db.execute("UPDATE media SET share_token = ?, share_key = ? WHERE id = ?",
                       [db.keyring.seal(token, SHARE), db.keyring.lookup_keys(token)[0], row["id"]])
        count += 1
    return count
