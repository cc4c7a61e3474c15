"""A county clerk's view: every request, and a form to change its status and notes (page and CLI)."""
from __future__ import annotations

import click
from flask import Blueprint, abort, redirect, render_template_string, request, url_for
from flask.cli import with_appcontext

from .api import now_iso
from .db import get_db

bp = Blueprint("clerk", __name__)

PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>县平台 · 工单处理 (reference county clerk)</title>
<style>body{font:18px/1.5 sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #444;padding:.4em;vertical-align:top}
input,select,button{font:inherit;min-height:44px}</style></head><body>
<h1>县平台 · 工单处理</h1>
<p>Reference county server. Change a request's status here; the kiosk picks it up at its next sync.</p>
<table><thead><tr><th>编号 id</th><th>服务 service</th><th>内容 description</th><th>受理时间 requested</th><th>状态 status</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.service_request_id }}</td><td>{{ r.service_code }}</td><td>{{ r.description }}</td><td>{{ r.requested_datetime }}</td>
<td><form method="post" action="{{ url_for('clerk.update', service_request_id=r.service_request_id) }}">
<label>状态 <select name="status"><option value="open"{% if r.status == 'open' %} selected{% endif %}>open 处理中</option>
<option value="closed"{% if r.status == 'closed' %} selected{% endif %}>closed 已办结</option></select></label>
<label>说明 notes <input name="status_notes" value="{{ r.status_notes }}"></label>
<label>部门 agency <input name="agency_responsible" value="{{ r.agency_responsible }}"></label>
<button>保存 save</button></form></td></tr>{% endfor %}
</tbody></table></body></html>"""


def set_status(service_request_id: str, status: str, notes: str | None = None, agency: str | None = None) -> bool:
    """Change a request's status (and notes, agency); False if there is no such request."""
    if status not in ("open", "closed"):
        raise ValueError("status is open or closed")
    conn = get_db()
    row = conn.execute("SELECT status_notes, agency_responsible FROM requests WHERE service_request_id = ?",
                       [service_request_id]).fetchone()
    if row is None:
        return False
    conn.execute(
        "UPDATE requests SET status = ?, status_notes = ?, agency_responsible = ?, updated_datetime = ? WHERE service_request_id = ?",
        [status, row["status_notes"] if notes is None else notes, row["agency_responsible"] if agency is None else agency,
         now_iso(), service_request_id],
    )
    return True


@bp.get("/clerk")
def index():
    rows = get_db().execute("SELECT * FROM requests ORDER BY id DESC LIMIT 500").fetchall()
    return render_template_string(PAGE, rows=rows)


@bp.post("/clerk/<service_request_id>")
def update(service_request_id: str):
    form = request.form
    if not set_status(service_request_id, form.get("status", "open"), form.get("status_notes", ""), form.get("agency_responsible", "")):
        abort(404)
    return redirect(url_for("clerk.index"))


@bp.cli.command("set")
@click.argument("service_request_id")
@click.option("--status", type=click.Choice(["open", "closed"]), required=True)
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
