"""The county's settings: embedded defaults, ``COUNTY_*`` environment overrides, a secret made once.

Demo mode (``COUNTY_DEMO=1`` or ``python -m county.serve --demo``) is what lets the kiosk's shipped
key, ``demo-kiosk-key``, through: a key printed in a public repository must never open a county that
holds residents' details, so outside demo mode it is refused even when ``COUNTY_API_KEYS`` lists it.
"""
from __future__ import annotations

import os
from pathlib import Path

DEMO_KEY = "demo-kiosk-key"


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "on")


def load(instance_path: str, catalogue: str, environ=None) -> dict:
    """The configuration mapping for :func:`county.create_app`."""
    environ = os.environ if environ is None else environ
    return {
        "DATABASE": str(Path(instance_path) / "county.sqlite3"),
        # API keys this county accepts (comma-separated); the demo kiosk's key by default, which
        # works only in demo mode (see :func:`county.keys.accepted`).
        "API_KEYS": [k.strip() for k in environ.get("COUNTY_API_KEYS", DEMO_KEY).split(",") if k.strip()],
        "DEMO": _flag(environ.get("COUNTY_DEMO")),
        "JURISDICTION_ID": environ.get("COUNTY_JURISDICTION_ID", "demo-county"),
        "CATALOGUE": environ.get("COUNTY_CATALOGUE", catalogue),
        "JSON_AS_ASCII": False,
    }

