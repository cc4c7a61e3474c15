"""``flask --app kiosk addresses …``: the centre's address book from a CSV file, and back (a thin layer
over :mod:`core.addresses`)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from core.actions import admin
from core.addresses import DEMO_FILE, AddressBookError, export_csv

from .db import get_db

addresses_cli = AppGroup("addresses", help="Manage the centre's address book (estate, building, unit, flat).")


@addresses_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
def load_command(path: str | None) -> None:
    """Replace the address book with a UTF-8 CSV file (header: estate,building,unit,flat[,estate_en]);
    default: the demo book that goes with the demo catalogue. A bad file changes nothing."""
    source = Path(path) if path else DEMO_FILE
    try:
        counts = admin.load_address_book(get_db(), source.read_bytes())
    except AddressBookError as exc:
        raise click.ClickException(f"{source}: {exc}") from exc
    if counts["addresses"]:
        spots = f" and {counts['spots']} shared places (楼道, 电梯…)" if counts.get("spots") else ""
        click.echo(f"Loaded {counts['addresses']} addresses in {counts['estates']} estates{spots} from {source}.")
    else:
        click.echo(f"{source} lists no addresses: the address book is now empty, and residents write their address.")


@addresses_cli.command("export")
def export_command() -> None:
    """Print the address book as CSV, in the form `addresses load` takes."""
    click.echo(export_csv(get_db()), nl=False)


def init_app(app: Flask) -> None:
    app.cli.add_command(addresses_cli)
