"""The sync worker's own app: ``flask --app kiosk.sync_app sync run`` (deploy/systemd/kiosk-sync.service.in).

The sync worker needs the kiosk's settings, its database opened and brought up to date (the same
start-up checks as the web app: ``PRAGMA quick_check``, migrations, re-sealing, a key rotation cut
short — :func:`kiosk.db.init_app`) and the ``flask sync`` commands; none of the web pages. Built by
:func:`kiosk.create_app` it loaded every blueprint, the translations, the form, login, limits, QR
code and speech modules too: about 16 MB of a process that idles all day next to the web app on a
1 GB box (bench/idle_memory.py). Here it loads Flask, the database and the sync engine only.

``flask --app kiosk sync …`` still works (the full app has the same commands): an operator's
one-off command costs nothing while it is not running.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> "Flask":
    """Settings, the database (checked, migrated, re-sealed) and the ``sync`` commands: nothing else."""
    from flask import Flask

    from . import ROOT, config, db, sync_cli

    app = Flask("kiosk", instance_path=os.environ.get("KIOSK_INSTANCE_PATH") or str(ROOT / "instance"))
    os.makedirs(app.instance_path, exist_ok=True)
    os.chmod(app.instance_path, 0o700)  # as the web app keeps it: the database and the keys live here
    app.config.update(config.load(app.instance_path))
    if test_config:
        app.config.update(test_config)
    db.init_app(app)
    sync_cli.init_app(app)
    return app
