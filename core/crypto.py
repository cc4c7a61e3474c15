"""Personal data sealed at rest: AES-GCM from ``cryptography``, a fresh nonce per value, the key
outside the database.

A sealed value is text: ``enc1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id (the
first 8 hex digits of the key's SHA-256) says which key of the :class:`Keyring` opens it, so a key
rotation can re-seal everything in one transaction while both keys are known (:mod:`core.sealing`).
Each value is bound to its column (the AES-GCM associated data), so a sealed name cannot be moved
into another column and opened there. Text written before sealing existed is read as it is, and
sealed at the next start-up.

The key comes from, in order: ``KIOSK_DATA_KEY`` (base64 of 32 bytes), a systemd credential named
``kiosk-data-key``, or ``data.key`` in the instance folder (made on first start, mode 0600, with a
warning in the log: without it the personal data cannot be read, so it belongs in the box's backup).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1:"
KEY_FILE = "data.key"
NEW_KEY_FILE = "data.key.new"  # exists only while a rotation is under way
OLD_KEY_FILE = "data.key.old"  # the key before the last rotation: opens stragglers, seals nothing
CREDENTIAL = "kiosk-data-key"


class SealError(ValueError):
    """A sealed value that no key of the keyring opens (wrong key, or the value was tampered with)."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class Keyring:
    """Keys by id; the first is the one that seals."""

    def __init__(self, keys: list[bytes], source: str = ""):
        if not keys or any(len(k) != 32 for k in keys):
            raise ValueError("a data key is 32 bytes")
        self.keys = {key_id(k): AESGCM(k) for k in keys}
        self.macs = [hashlib.sha256(b"kiosk look-up key:" + k).digest() for k in keys]  # current first
        self.current = key_id(keys[0])
        self.source = source

    def lookup_keys(self, secret: str) -> list[str]:
        """Keyed hashes of a short secret (a resume code), one per key, the current key's first: a
        copy of the database alone cannot turn them back into codes, as it could a plain SHA-256."""
        return [hmac.new(mac, secret.encode(), hashlib.sha256).hexdigest() for mac in self.macs]

    def seal(self, plaintext: str, column: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self.keys[self.current].encrypt(nonce, plaintext.encode("utf-8"), column.encode())
        return f"{PREFIX}{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, stored: str | None, column: str) -> str:
        """The plaintext of a stored value (text from before sealing comes back as it is)."""
        if not stored or not stored.startswith(PREFIX):
            return stored or ""
        try:
            _, kid, payload = stored.split(":", 2)
            raw = base64.urlsafe_b64decode(payload)
            return self.keys[kid].decrypt(raw[:12], raw[12:], column.encode()).decode("utf-8")
        except (KeyError, ValueError, InvalidTag) as exc:
            raise SealError(f"a sealed value in {column} cannot be opened with this box's data key") from exc

    def seal_bytes(self, data: bytes, column: str) -> bytes:
        """Bytes (a recording, a photo) sealed as :meth:`seal` seals text, kept as bytes: ``enc1:<key
        id>:`` then nonce ‖ ciphertext ‖ tag, with no base64 (a third more on disk for nothing)."""
        nonce = secrets.token_bytes(12)
        return f"{PREFIX}{self.current}:".encode() + nonce + self.keys[self.current].encrypt(nonce, data, column.encode())

    def open_bytes(self, stored: bytes, column: str) -> bytes:
        """The plain bytes of a value sealed by :meth:`seal_bytes` (bytes never stored plain: refused)."""
        try:
            prefix, kid, rest = bytes(stored[:5]), bytes(stored[5:13]).decode("ascii"), bytes(stored[14:])
            if prefix != PREFIX.encode() or stored[13:14] != b":":
                raise ValueError("not sealed")
            return self.keys[kid].decrypt(rest[:12], rest[12:], column.encode())
        except (KeyError, ValueError, InvalidTag) as exc:
            raise SealError(f"a sealed value in {column} cannot be opened with this box's data key") from exc

    def renewed_bytes(self, stored: bytes, column: str) -> bytes | None:
        """:meth:`renewed` for sealed bytes."""
        if bytes(stored[:14]) == self.current_prefix.encode():
            return None
        return self.seal_bytes(self.open_bytes(stored, column), column)

    @property
    def current_prefix(self) -> str:
        """How every value sealed with the current key begins: lets a table's owner ask SQLite for
        only the values that need re-sealing, instead of reading every row into Python."""
        return f"{PREFIX}{self.current}:"

    def is_current(self, stored: str | None) -> bool:
        """Whether ``stored`` is sealed with the key that seals now (else it needs re-sealing)."""
        return bool(stored) and stored.startswith(f"{PREFIX}{self.current}:")

    def renewed(self, stored: str | None, column: str) -> str | None:
        """``stored`` sealed again with the current key, or None when it already is (or is empty):
        what each table's owner writes back when it re-seals its columns."""
        if stored is None or self.is_current(stored):
            return None
        return self.seal(self.open(stored, column), column)


def new_key() -> bytes:
    return secrets.token_bytes(32)


def write_key_file(path: Path, key: bytes) -> None:
    """Write a key file readable by its owner only, durably (a lost key is lost data)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode() + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_key(text: str) -> bytes:
    key = base64.b64decode(text.strip(), validate=True)
    if len(key) != 32:
        raise ValueError("a data key is base64 of 32 bytes")
    return key


def load_keyring(instance_path: str | Path, environ: Mapping[str, str] | None = None,
                 log=lambda message: None) -> Keyring:
    """The box's keyring: the environment, a systemd credential, or the instance folder's key file."""
    environ = os.environ if environ is None else environ
    if environ.get("KIOSK_DATA_KEY"):
        return Keyring([read_key(environ["KIOSK_DATA_KEY"])], source="KIOSK_DATA_KEY")
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / CREDENTIAL).exists():
        return Keyring([read_key((Path(credentials) / CREDENTIAL).read_text())], source="systemd credential")
    folder = Path(instance_path)
    path, pending = folder / KEY_FILE, folder / NEW_KEY_FILE
    if not path.exists() and not pending.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_key_file(path, new_key())
        log(f"made a new data key in {path} (mode 0600): personal data is sealed with it; "
            "keep a copy with the box's backups, without it that data cannot be read")
    keys = [read_key(pending.read_text())] if pending.exists() else []  # a rotation that did not finish
    if path.exists():
        keys.append(read_key(path.read_text()))
    if (folder / OLD_KEY_FILE).exists():  # a process that had not yet seen the rotation may have used it
        keys.append(read_key((folder / OLD_KEY_FILE).read_text()))
    return Keyring(keys, source=str(path))
