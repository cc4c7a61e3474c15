"""The county's settings: embedded defaults, ``COUNTY_*`` environment overrides, a secret made once.

Demo mode (``COUNTY_DEMO=1`` or ``python -m county.serve --demo``) is what lets the kiosk's shipped
key, ``demo-kiosk-key``, through: a key printed in a public repository must never open a county that
holds residents' details, so outside demo mode it is refused even when ``COUNTY_API_KEYS`` lists it.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from .accounts import SESSION_SECONDS

DEMO_KEY = "demo-kiosk-key"


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "on")


def load(instance_path: str, catalogue: str, environ=None) -> dict:
    """The configuration mapping for :func:`county.create_app`."""
    environ = os.environ if environ is None else environ
    return {
        "DATABASE": str(Path(instance_path) / "county.sqlite3"),
        # PostgreSQL instead of that file (``postgresql:///county?host=/run/postgresql``), for a county
        # running several of these servers on one database (docs/scaling.md); unset: the SQLite file.
        "DATABASE_URL": environ.get("COUNTY_DATABASE_URL") or None,
        "DATABASE_POOL": int(environ.get("COUNTY_DATABASE_POOL") or 10),  # PostgreSQL connections per process
        # API keys this county accepts (comma-separated); the demo kiosk's key by default, which
        # works only in demo mode (see :func:`county.keys.accepted`).
        "API_KEYS": [k.strip() for k in environ.get("COUNTY_API_KEYS", DEMO_KEY).split(",") if k.strip()],
        "DEMO": _flag(environ.get("COUNTY_DEMO")),
        # Strict mode (county/strict.py): behave like the independent counties of issue 21. "1" for all of
        # it, or a comma-separated list of its flags; unset: the reference county as it always was.
        "STRICT": environ.get("COUNTY_STRICT") or None,
        "JURISDICTION_ID": environ.get("COUNTY_JURISDICTION_ID", "demo-county"),
        "CATALOGUE": environ.get("COUNTY_CATALOGUE", catalogue),
        "SECRET_KEY": environ.get("COUNTY_SECRET_KEY") or _instance_secret(instance_path),
        # A request's form is a few kilobytes (a description is at most 4,000 characters): anything
        # far larger is refused before it is read (413), so it is never stored or even parsed.
        "MAX_CONTENT_LENGTH": 256 * 1024,
        # Clerks' sessions: a cookie of their own name (the kiosk on the same host has "session"),
        # out of reach of scripts, not sent by other sites' forms, over a working day at most.
        "SESSION_COOKIE_NAME": "county_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(environ.get("COUNTY_SECURE_COOKIES")),  # on behind HTTPS
        "PERMANENT_SESSION_LIFETIME": timedelta(seconds=SESSION_SECONDS),  # 8 hours, also kept by the session's row
        # A CSRF token lives as long as the clerk's session (8 h), not an hour: a page left open
        # over lunch still saves.
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_AS_ASCII": False,
    }


def _instance_secret(instance_path: str) -> str:
    """Create the session-signing key once and keep it, readable by the owner only."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip()
