"""``flask --app kiosk data …``: purging what has been kept long enough, rotating the data key."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core import backup
from core.actions import admin

from .db import backup_folder, database_path, get_db

data_cli = AppGroup("data", help="The data at rest: purge it when its time is up, rotate the key that seals it, "
                                 "check the file, back it up and restore it.")


@data_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be purged.")
@click.option("--draft-hours", type=float, default=None, help="Override KIOSK_DRAFT_HOURS for this run.")
@click.option("--closed-days", type=float, default=None, help="Override KIOSK_CLOSED_RETENTION_DAYS for this run.")
def purge_command(dry_run: bool, draft_hours: float | None, closed_days: float | None) -> None:
    """Delete untouched drafts, and the answers and personal details of requests closed long ago."""
    config = current_app.config
    hours = config["DRAFT_HOURS"] if draft_hours is None else draft_hours
    days = config["CLOSED_RETENTION_DAYS"] if closed_days is None else closed_days
    counts = admin.purge(get_db(), datetime.now(timezone.utc), hours, days, dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    click.echo(f"{verb} {counts['drafts']} draft(s) untouched for {hours:g} h and the details of "
               f"{counts['requests']} request(s) closed more than {days:g} days ago")


@data_cli.command("check")
def check_command() -> None:
    """Check the database file (PRAGMA quick_check), as the kiosk does when it starts."""
    path = database_path(current_app)
    problems = backup.check(path)
    if problems:
        raise click.ClickException(f"{path} is damaged: {'; '.join(problems[:5])}. Restore a backup: `flask --app kiosk "
                                   f"data restore` (see docs/operations.md)")
    click.echo(f"{path}: sound (PRAGMA quick_check: ok)")


@data_cli.command("backup")
@click.option("--to", "folder", type=click.Path(file_okay=False), default=None, help="Folder (default KIOSK_BACKUP_DIR).")
def backup_command(folder: str | None) -> None:
    """Copy the database now, while the kiosk runs (the sync service does this every night)."""
    try:
        made = backup.backup(database_path(current_app), folder or backup_folder(current_app), current_app.config["BACKUPS_KEPT"])
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up to {made} (the data key is not in it: keep the key's copy separately)")


@data_cli.command("restore")
@click.argument("backup_file", required=False, type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask.")
def restore_command(backup_file: str | None, yes: bool) -> None:
    """Put a backup in place of the database (the newest, if none is named). Stop the kiosk and the sync service first."""
    from sync.schedule import LOCK_FILE, lock_holder

    made = backup.backups(backup_folder(current_app))
    chosen = Path(backup_file) if backup_file else (made[-1] if made else None)
    if chosen is None:
        raise click.ClickException(f"there is no backup in {backup_folder(current_app)}")
    holder = lock_holder(Path(current_app.instance_path) / LOCK_FILE)
    if holder:
        raise click.ClickException(f"the sync service is running (process {holder}): stop the kiosk's services first")
    if not yes:
        click.confirm(f"Replace {database_path(current_app)} with {chosen}? Requests saved after that backup are lost", abort=True)
    try:
        aside = backup.restore(chosen, database_path(current_app))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {chosen}" + (f"; the file it replaced is kept as {aside}" if aside else ""))


@data_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Make a new data key and re-seal every sealed value with it (crash-safe; the old key is dropped)."""
    try:
        count = admin.rotate_data_key(get_db(), Path(current_app.instance_path))
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc}; rotate it where it is kept, then start the kiosk once") from exc
    click.echo(f"re-sealed {count} row(s) with a new data key in {Path(current_app.instance_path) / 'data.key'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(data_cli)
