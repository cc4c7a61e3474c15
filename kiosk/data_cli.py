"""``flask --app kiosk data …``: purging what has been kept long enough, rotating the data key."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core import retention, sealing

from .db import get_db

data_cli = AppGroup("data", help="Personal data at rest: purge it when its time is up, rotate the key that seals it.")


def purge_now(db) -> dict[str, int]:
    """Purge with the configured retention (the sync worker calls this after its nightly run)."""
    config = current_app.config
    return retention.purge(db, datetime.now(timezone.utc), config["DRAFT_HOURS"], config["CLOSED_RETENTION_DAYS"])


@data_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be purged.")
@click.option("--draft-hours", type=float, default=None, help="Override KIOSK_DRAFT_HOURS for this run.")
@click.option("--closed-days", type=float, default=None, help="Override KIOSK_CLOSED_RETENTION_DAYS for this run.")
def purge_command(dry_run: bool, draft_hours: float | None, closed_days: float | None) -> None:
    """Delete untouched drafts, and the answers and personal details of requests closed long ago."""
    config = current_app.config
    hours = config["DRAFT_HOURS"] if draft_hours is None else draft_hours
    days = config["CLOSED_RETENTION_DAYS"] if closed_days is None else closed_days
    counts = retention.purge(get_db(), datetime.now(timezone.utc), hours, days, dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    click.echo(f"{verb} {counts['drafts']} draft(s) untouched for {hours:g} h and the details of "
               f"{counts['requests']} request(s) closed more than {days:g} days ago")


@data_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Make a new data key and re-seal every sealed value with it (crash-safe; the old key is dropped)."""
    try:
        count = sealing.rotate(get_db(), Path(current_app.instance_path))
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc}; rotate it where it is kept, then start the kiosk once") from exc
    click.echo(f"re-sealed {count} row(s) with a new data key in {Path(current_app.instance_path) / 'data.key'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(data_cli)
