"""A reference county platform speaking Open311 GeoReport v2: the demo's county and the tests' peer.

It keeps its own SQLite file (or, with ``COUNTY_DATABASE_URL``, a PostgreSQL database that several
servers can share: :mod:`county.sql`), answers the GeoReport v2 calls in JSON to callers with a valid
key, de-duplicates on the kiosk's client UUID, lets a county clerk change a request's status (a web page
behind a login, and a CLI), and can misbehave on purpose (``COUNTY_FAULTS``, see
:mod:`county.faults`) so the kiosk's sync engine can be tested against every failure a real county
shows.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("COUNTY_INSTANCE_PATH") or str(ROOT.parent / "instance" / "county"))
    from . import api, auth, clerk, config, db, errors, faults, limits, security, strict

    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    os.chmod(app.instance_path, 0o700)  # the database (names, phones, home addresses) and the signing key live here
    app.config.update(config.load(app.instance_path, str(ROOT / "catalogue.json")))
    app.config["FAULTS"] = faults.Faults.from_json(os.environ.get("COUNTY_FAULTS", "{}"))
    if test_config:
        app.config.update(test_config)
    strict.init_app(app)
    app.json.ensure_ascii = False
    app.wsgi_app = limits.BoundedBody(app.wsgi_app, app.config)  # a chunked body is capped too
    db.init_app(app)
    security.init_app(app)
    security.csrf.exempt(api.bp)  # machines with an api_key, not browsers with a session
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(clerk.bp)
    return app
