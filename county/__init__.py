"""A reference county platform speaking Open311 GeoReport v2: the demo's county and the tests' peer.

It keeps its own SQLite file, answers the GeoReport v2 calls in JSON, de-duplicates on the kiosk's
client UUID, lets a county clerk change a request's status (a web page and a CLI), and can misbehave
on purpose (``COUNTY_FAULTS``, see :mod:`county.faults`) so the kiosk's sync engine can be tested
against every failure a real county shows.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("COUNTY_INSTANCE_PATH") or str(ROOT.parent / "instance" / "county"))
    from . import api, clerk, db, faults

    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(
        DATABASE=str(Path(app.instance_path) / "county.sqlite3"),
        # API keys this county accepts (comma-separated); the demo kiosk's key by default.
        API_KEYS=[k.strip() for k in os.environ.get("COUNTY_API_KEYS", "demo-kiosk-key").split(",") if k.strip()],
        JURISDICTION_ID=os.environ.get("COUNTY_JURISDICTION_ID", "demo-county"),
        CATALOGUE=os.environ.get("COUNTY_CATALOGUE", str(ROOT / "catalogue.json")),
        FAULTS=faults.Faults.from_json(os.environ.get("COUNTY_FAULTS", "{}")),
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    db.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(clerk.bp)
    return app
