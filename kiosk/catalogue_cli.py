"""``flask --app kiosk catalogue …``: loading a catalogue file (a thin layer over :mod:`core.catalogue`)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from core.actions import admin
from core.catalogue import DEMO_FILE, CatalogueError

from .db import get_db

catalogue_cli = AppGroup("catalogue", help="Manage the service catalogue.")


@catalogue_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
def load_command(path: str | None) -> None:
    """Load a catalogue file (default: the demo catalogue shipped with the kiosk)."""
    source = Path(path) if path else DEMO_FILE
    try:
        counts = admin.load_catalogue(get_db(), json.loads(source.read_text(encoding="utf-8")))
    except (CatalogueError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{source}: {exc}") from exc
    click.echo(f"Loaded {counts['services']} services from {source}; {counts['hidden']} no longer offered were hidden.")


def init_app(app: Flask) -> None:
    app.cli.add_command(catalogue_cli)
