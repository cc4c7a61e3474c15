"""``flask --app kiosk sync …``: the operator's commands over the sync engine (a thin layer)."""
from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core import backup, county_notes, outbox, submissions
from core.actions import admin
from sync import health

from sync import process as sync_process
from .db import backup_folder, database_path, get_db

sync_cli = AppGroup("sync", help="Send saved requests to the county and bring their status back.")


@sync_cli.command("run")
@click.option("--once", is_flag=True, help="Push and pull once, then exit (a manual sync: waiting requests are tried now).")
@click.option("--max-steps", type=int, default=None, hidden=True)
def run_command(once: bool, max_steps: int | None) -> None:
    """Run the sync service (nightly, on reconnect, when requests wait), or one sync with --once.
    The same as ``python -m sync.process``, which the kiosk-sync unit runs without Flask."""
    raise SystemExit(sync_process.run(current_app._get_current_object(), get_db(), once, max_steps))


@sync_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def status_command(as_json: bool) -> None:
    """Show the queue by state, the oldest unsent request, the last success and error, the clock offset,
    then every health figure with its verdict (as /health.json has them, less the speech process)."""
    db = get_db()
    summary = health.summary(db)
    figures = health.check(db, current_app.instance_path, database_path(current_app),
                           max_pages=current_app.config["DB_MAX_PAGES"], integrity=backup.check(database_path(current_app)),
                           backups=backup_folder(current_app))
    if as_json:
        click.echo(json.dumps({**summary, "health": figures.as_dict()}, ensure_ascii=False, indent=1))
        return
    for state in outbox.STATES:
        click.echo(f"{state:<12} {summary['counts'].get(state, 0)}")
    click.echo(f"{'notes':<12} {county_notes.unsent_count(db)} waiting for the county, {county_notes.kept_count(db)} on the"
               " workers' list to tell it (follow-ups, answers, ratings; sync/notes.py)")
    age = summary["oldest_unsent_seconds"]
    click.echo(f"oldest unsent: {'none' if age is None else f'{age / 60:.0f} min'}")
    click.echo(f"last success:  {summary['last_success'] or 'never'}")
    if summary["last_error"]:
        click.echo(f"last error:    {summary['last_error']['at']}: {summary['last_error']['error']}")
    if summary["key_refused"]:
        click.echo("HEALTH: RED - the county refused this kiosk's key")
    offset = summary["clock_offset_seconds"]
    if offset is not None:
        click.echo(f"clock offset:  {offset:+.0f} s" + (" (more than 2 minutes: check the clock)" if summary["clock_skewed"] else ""))
    click.echo(f"health:        {figures.overall.upper()}")
    for figure in figures.figures:
        value = "-" if figure.value is None else figure.value
        unit = "" if figure.unit == "state" else f" {figure.unit}"
        click.echo(f"  {figure.verdict.upper():<5} {figure.name:<14} {value}{unit} ({figure.code})")


@sync_cli.command("retry")
@click.argument("ticket_or_id")
def retry_command(ticket_or_id: str) -> None:
    """Queue a quarantined (or waiting) request again, after a worker has fixed the problem."""
    db = get_db()
    saved = submissions.find_for_operator(db, ticket_or_id)
    if saved is None:
        raise click.ClickException(f"no request {ticket_or_id}")
    try:
        admin.retry(db, saved.id)
    except outbox.NotRetryable as exc:
        raise click.ClickException(f"{saved.ticket} is {exc}: only a quarantined or waiting request can be retried") from None
    click.echo(f"{saved.ticket} queued again")


@sync_cli.command("check-county")
def check_county_command() -> None:
    """Ask the county what it supports (read-only: nothing is sent), keep the answer, and print it in plain
    words with what the kiosk will do about each gap (docs/open311.md, "Connecting a county"). Exits 1
    when something must be done before going live."""
    from core import catalogue
    from sync import profile as county_profile
    from sync.open311 import HttpTransport, Open311Client

    config = current_app.config
    ours = [s.code for g in catalogue.list_groups(get_db(), catalogue.FALLBACK_LOCALE) for s in g["services"]]
    client = Open311Client(config["COUNTY_URL"], config["COUNTY_API_KEY"], config["JURISDICTION_ID"],
                           HttpTransport(timeout=config["SYNC_TIMEOUT"]))
    found = county_profile.probe(client, ours, config["COUNTY_LOCATION"])
    kept = county_profile.save(current_app.instance_path, found)
    click.echo(f"County {found.endpoint} (jurisdiction {found.jurisdiction_id or 'none'}), asked {found.probed_at}"
               f" with {found.requests_made} read-only requests.")
    said = county_profile.findings(found, coordinates_set=bool(config["CENTRE_LAT"]), uuid_lookup_on=config["COUNTY_UUID_LOOKUP"],
                                   attributes=config["COUNTY_ATTRIBUTES"])
    for finding in said:
        click.echo(f"{finding.verdict:<6} {finding.topic}: {finding.says}")
        if finding.kiosk:
            click.echo(f"{'':<6} {'To do' if finding.verdict == county_profile.ACTION else 'The kiosk'}: {finding.kiosk}")
    to_do = sum(f.verdict == county_profile.ACTION for f in said)
    gaps = sum(f.verdict == county_profile.GAP for f in said)
    click.echo(f"Kept in {kept}. " + (f"{to_do} to do before going live; " if to_do else "Ready to go live; ")
               + (f"{gaps} gap the kiosk copes with." if gaps == 1 else f"{gaps} gaps the kiosk copes with."))
    if to_do:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(sync_cli)
