"""A county clerk's view: every request with what the county keeps for its staff (name, phone, home
address), and a form to change its status and notes (a page behind a login, and a CLI)."""
from __future__ import annotations

import json

import click
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.cli import with_appcontext

from . import auth, strict
from .api import now_iso
from .db import get_db

bp = Blueprint("clerk", __name__)
for _command in auth.COMMANDS:  # clerk add | password | disable | enable | accounts
    bp.cli.add_command(_command)

STATUSES = ("open", "closed")
MAX_NOTES = 1000   # what a resident reads on the kiosk's status page
MAX_AGENCY = 200


def set_status(service_request_id: str, status: str, notes: str | None = None, agency: str | None = None) -> bool:
    """Change a request's status (and notes, agency); False if there is no such request."""
    if status not in STATUSES:
        raise ValueError("status is open or closed")
    conn = get_db()
    row = conn.execute("SELECT status_notes, agency_responsible, updated_datetime FROM requests WHERE service_request_id = ?",
                       [service_request_id]).fetchone()
    if row is None:
        return False
    # A strict county (county/strict.py) may close a request without moving its updated_datetime.
    keep = status == "closed" and strict.mode().close_keeps_updated_datetime
    conn.execute(
        "UPDATE requests SET status = ?, status_notes = ?, agency_responsible = ?, updated_datetime = ? WHERE service_request_id = ?",
        [status, row["status_notes"] if notes is None else notes, row["agency_responsible"] if agency is None else agency,
         row["updated_datetime"] if keep else now_iso(), service_request_id],
    )
    return True


def _for_clerk(row) -> dict:
    """A request as the clerk sees it: the kept fields too (the home address is a private attribute)."""
    attributes = json.loads(row["attributes"] or "{}")
    return {**dict(row), "name": " ".join(p for p in (row["first_name"], row["last_name"]) if p),
            "home_address": attributes.get("home_address") or "", "contact": attributes.get("contact") or "",
            "reopens": attributes.get("kiosk_reopens") or ""}


def _note_services() -> dict[str, str]:
    """{service code: the attribute naming the request it files under} (county/api.py, ``files_under``)."""
    found = {}
    for (definition,) in get_db().execute("SELECT definition FROM services"):
        service = json.loads(definition)
        if service.get("files_under"):
            found[service["service_code"]] = service["files_under"]
    return found


def notes_about(service_request_ids: list[str]) -> dict[str, list[dict]]:
    """The notes filed under each of these requests (oldest first): {id: [{id, description, attributes, at}]}."""
    found: dict[str, list[dict]] = {i: [] for i in service_request_ids}
    for code, under in _note_services().items():
        for row in get_db().execute(
                "SELECT service_request_id, description, attributes, requested_datetime FROM requests"
                " WHERE service_code = ? ORDER BY id", [code]):
            attributes = json.loads(row["attributes"] or "{}")
            if attributes.get(under) in found:
                found[attributes[under]].append({"id": row["service_request_id"], "description": row["description"],
                                                 "attributes": attributes, "at": row["requested_datetime"]})
    return found


def updates_about(service_request_ids: list[str]) -> dict[str, list[dict]]:
    """The updates posted about each of these requests (``servicerequestupdates``, oldest first):
    {id: [{update_id, description, status, at, name}]}."""
    found: dict[str, list[dict]] = {i: [] for i in service_request_ids}
    for i in range(0, len(service_request_ids), 500):
        chunk = service_request_ids[i:i + 500]
        for row in get_db().execute(
                "SELECT service_request_id, update_id, description, status, updated_datetime, first_name, last_name"
                f" FROM request_updates WHERE service_request_id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk):
            found[row["service_request_id"]].append({
                "update_id": row["update_id"], "description": row["description"], "status": row["status"],
                "at": row["updated_datetime"], "name": " ".join(p for p in (row["first_name"], row["last_name"]) if p)})
    return found


@bp.get("/clerk")
@auth.clerk_required
def index():
    """Every request, newest first, each with its status form, the notes filed under it and the updates
    posted about it."""
    notes = tuple(_note_services())
    not_notes = f"WHERE service_code NOT IN ({','.join('?' * len(notes))})" if notes else ""  # "IN ()" is SQLite's alone
    rows = get_db().execute(f"SELECT * FROM requests {not_notes} ORDER BY id DESC LIMIT 500", notes).fetchall()
    shown = [_for_clerk(r) for r in rows]
    filed = notes_about([r["service_request_id"] for r in shown])
    updates = updates_about([r["service_request_id"] for r in shown])
    return render_template("clerk/index.html", rows=shown, notes=filed, updates=updates, clerk=auth.current_clerk())


@bp.post("/clerk/<service_request_id>")
@auth.clerk_required
def update(service_request_id: str):
    """Save a request's status, notes and agency."""
    form = request.form
    status, notes, agency = form.get("status", "open"), form.get("status_notes", ""), form.get("agency_responsible", "")
    if status not in STATUSES:
        abort(400, "status is open or closed")
    if len(notes) > MAX_NOTES or len(agency) > MAX_AGENCY:
        abort(400, f"notes are at most {MAX_NOTES} characters, the agency at most {MAX_AGENCY}")
    if not set_status(service_request_id, status, notes, agency):
        abort(404)
    return redirect(url_for("clerk.index"))


@bp.cli.command("set")
@click.argument("service_request_id")
@click.option("--status", type=click.Choice(STATUSES), required=True)
@click.option("--notes", default=None, help="Status notes shown to the resident.")
@click.option("--agency", default=None, help="Agency responsible.")
@with_appcontext
def set_command(service_request_id, status, notes, agency):
    """Change a request's status, as a county clerk would."""
    if not set_status(service_request_id, status, notes, agency):
        raise click.ClickException(f"no request {service_request_id}")
    click.echo(f"{service_request_id}: {status}")


@bp.cli.command("list")
@with_appcontext
def list_command():
    """List the requests this county holds."""
    for r in get_db().execute("SELECT service_request_id, service_code, status, status_notes FROM requests ORDER BY id"):
        click.echo(f"{r['service_request_id']}\t{r['service_code']}\t{r['status']}\t{r['status_notes']}")
