"""The sync service: ``python -m sync.process [--once]`` (deploy/systemd/kiosk-sync.service.in).

It sends saved requests to the county and brings their status back: nightly, when the county comes
back, when requests wait, at once on *Sync now* (:class:`sync.schedule.Scheduler`); after the nightly
run it purges what has been kept long enough and makes last night's backup. One runs at a time (a
lock in the instance folder).

It opens the instance as the web app does — the same settings, the same start-up checks
(:func:`core.instance.prepare_database`) — without Flask: it serves no pages, and idles all day next
to the web app on a 1 GB box, where Flask, Werkzeug and Jinja were about 7 MB of its memory
(bench/idle_memory.py). ``flask --app kiosk sync run`` runs the same code in the full app, for an
operator at the shell.
"""
from __future__ import annotations

import logging
from datetime import datetime, time, timezone
from pathlib import Path

import click

from core import backup, catalogue
from core.actions import system
from core.instance import HasInstance, Instance, backup_folder, database_path, open_database, prepare_database
from . import notes
from .engine import Settings, SyncEngine
from .open311 import HttpTransport, Open311Client
from . import profile as county_profile
from .payload import Place
from .schedule import LOCK_FILE, RUN_NOW_FILE, AlreadyRunning, Scheduler, SingleInstance


def make_engine(config, db, instance_path: str | None = None) -> SyncEngine:
    """The sync engine over ``db``, talking to the county the settings name, as its profile allows.

    With ``instance_path``, the county's kept profile (:func:`sync.profile.load`, written by ``flask sync
    check-county``) decides whether attributes are sent and the ``kiosk_uuid`` look-up used
    (:func:`sync.profile.sending_policy`); when none is kept, the county is probed once (read-only, at most
    :data:`sync.profile.MAX_REQUESTS` GETs) and the profile kept only if the county answered every question
    (one that faltered mid-probe is used for this run, and asked again at the next start; ``flask sync
    check-county`` asks again).
    """
    client = Open311Client(config["COUNTY_URL"], config["COUNTY_API_KEY"], config["JURISDICTION_ID"],
                           HttpTransport(timeout=config["SYNC_TIMEOUT"]))
    profile = None
    if instance_path is not None:
        profile = county_profile.load(instance_path, config["COUNTY_URL"], config["JURISDICTION_ID"])
        if profile is None:
            ours = [s.code for g in catalogue.list_groups(db, catalogue.FALLBACK_LOCALE) for s in g["services"]]
            profile = county_profile.probe(client, ours, config["COUNTY_LOCATION"])
            if not profile.reachable:
                profile = None
            elif not profile.unanswered:  # kept only when every question got an answer: a county that
                county_profile.save(instance_path, profile)  # faltered mid-probe is asked again next start
    settings = Settings(location=Place.from_config(config), **county_profile.sending_settings(profile, config),
                        kiosk_id=config["KIOSK_ID"], centre_locale=config["DEFAULT_LOCALE"],
                        server_error_tries=config["SYNC_SERVER_ERROR_TRIES"],
                        media_base=config["PUBLIC_URL"] if config["COUNTY_MEDIA"] == "media_url" else "",
                        notes_via=notes_via(instance_path, config) if instance_path else "")
    return SyncEngine(db, client, settings)


def notes_via(instance_path: str, config) -> str:
    """How the county takes notes, as ``flask sync check-county`` found and kept it: ``update`` (the
    update extension), ``note_request`` (its note service), ``none``; "" (ask each run) without a profile."""
    kept = county_profile.load(instance_path, config["COUNTY_URL"], config["JURISDICTION_ID"])
    if kept is None or not kept.reachable or kept.key_refused:
        return ""
    if kept.updates == county_profile.YES:
        return notes.UPDATE
    if kept.updates == county_profile.NO:
        return notes.NOTE_REQUEST if kept.note_service else notes.NONE
    return ""


def purge_now(db, config) -> dict[str, int]:
    """Purge with the configured retention (after the nightly run, and ``flask data purge``'s default)."""
    return system.purge(db, datetime.now(timezone.utc), config["DRAFT_HOURS"], config["CLOSED_RETENTION_DAYS"])


def run(app: HasInstance, db, once: bool = False, max_steps: int | None = None) -> int:
    """Run the sync service on ``db`` (or one manual sync with ``once``); the exit status. Raises
    :class:`click.ClickException` when another sync process holds the lock."""
    config = app.config
    try:
        with SingleInstance(Path(app.instance_path) / LOCK_FILE):
            engine = make_engine(config, db, app.instance_path)
            if once:
                report = engine.run("manual", ignore_backoff=True)
                click.echo(f"sent {report.sent}, accepted {report.accepted}, quarantined {report.quarantined}, "
                           f"retrying {report.retrying}, status updates {report.status_updates}, notes sent {report.notes_sent}, notes kept for the workers {report.notes_kept}")
                for problem in report.errors:
                    click.echo(f"problem: {problem}", err=True)
                if report.clock_skewed:
                    click.echo(f"warning: the kiosk's clock is {report.clock_offset_seconds:+.0f} s off the county's", err=True)
                return 1 if report.key_refused else 0
            hour, minute = (int(x) for x in config["SYNC_NIGHTLY_AT"].split(":"))
            click.echo(f"sync service: county {config['COUNTY_URL']}, nightly at {config['SYNC_NIGHTLY_AT']}, "
                       f"probing every {config['SYNC_PROBE_SECONDS']:.0f} s")

            def purge() -> str:
                counts = purge_now(engine.db, config)
                said = f"purged {counts['drafts']} old draft(s) and the details of {counts['requests']} closed request(s)"
                try:  # then last night's copy, to fall back on after a power cut (core/backup.py)
                    made = backup.backup(database_path(app), backup_folder(app), config["BACKUPS_KEPT"])
                    return f"{said}; backed up to {made}"
                except (backup.BackupError, OSError) as exc:
                    return f"{said}; THE BACKUP FAILED: {exc}"

            Scheduler(engine, time(hour, minute), config["TIMEZONE"], config["SYNC_PROBE_SECONDS"],
                      config["SYNC_STATUS_SECONDS"], log=lambda line: click.echo(line), after_nightly=purge,
                      run_now=Path(app.instance_path) / RUN_NOW_FILE).loop(max_steps)
            return 0
    except AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from exc


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--once", is_flag=True, help="Push and pull once, then exit (a manual sync: waiting requests are tried now).")
@click.option("--max-steps", type=int, default=None, hidden=True)
def main(once: bool, max_steps: int | None) -> None:
    """Run the sync service (nightly, on reconnect, when requests wait), or one sync with --once."""
    # as the web app's log lines look (Flask's default handler), into the journal
    logging.basicConfig(format="[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
    box = Instance()
    prepare_database(box)
    db = open_database(box)
    try:
        raise SystemExit(run(box, db, once, max_steps))
    finally:
        db.close()


if __name__ == "__main__":
    main()
