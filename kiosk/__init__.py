"""The community service kiosk's web app: pages for residents and for community workers.

It stands on :mod:`core` (the database) and :mod:`sync` (the engine, for the ``flask sync`` commands);
neither of them imports this package.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> "Flask":
    """Build the kiosk app: configuration, database, translations, blueprints, CLI.

    Flask is imported here, not at the top, so that the speech process process, which runs
    :mod:`engines.speech.speaker` (and so imports this package), does not load the web stack.
    """
    from .rendering import KioskFlask

    app = KioskFlask(
        __name__,
        instance_path=os.environ.get("KIOSK_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from core import config

    from . import addresses_cli, catalogue_cli, data_cli, db, i18n, limits, security, sessions, sync_cli, views_errors, voice_cli, workers_cli
    from .health_views import bp as health_bp
    from .outcomes_views import bp as outcomes_bp
    from .printing import bp as printing_bp
    from .resident import bp as resident_bp

    os.makedirs(app.instance_path, exist_ok=True)
    os.chmod(app.instance_path, 0o700)  # the database, the data key and the session key live here
    app.config.update(config.load(app.instance_path))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # a resident may take as long as they need
        TEMPLATES_AUTO_RELOAD=False,
    )
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    i18n.init_app(app, str(ROOT / "locales"))
    security.init_app(app)
    sessions.init_app(app)
    limits.init_app(app)
    catalogue_cli.init_app(app)
    addresses_cli.init_app(app)
    data_cli.init_app(app)
    sync_cli.init_app(app)
    voice_cli.init_app(app)
    workers_cli.init_app(app)
    app.register_blueprint(resident_bp)
    app.register_blueprint(health_bp)  # /worker/health, /health.json, /metrics
    app.register_blueprint(outcomes_bp)  # /outcomes (the wall), /worker/outcomes and its exports
    app.register_blueprint(printing_bp)  # /receipt/<ticket>/print: the receipt on paper
    from . import worker

    worker.init_app(app)
    from . import keyboard

    keyboard.init_app(app)
    from . import voice_views as voice_web

    voice_web.init_app(app, ROOT / "static" / "audio")
    from . import speech_mode

    speech_mode.init_app(app)  # speech mode's items on the box's own screen (static/js/speech_mode.js)
    from . import screen

    screen.init_app(app)  # /screen/drawn: the touchscreen's heartbeat, for kiosk-screen-watchdog
    views_errors.init_app(app)
    from . import static_files

    static_files.init_app(app)  # last: it wraps the finished app's WSGI callable
    return app
