"""The outcomes pages (issue 12): what the kiosk's requests came to, for the centre's workers and
managers (``/worker/outcomes``, behind the worker login, with CSV and Open311-shaped JSON exports) and, in large print with
nothing personal, for the centre's wall (``/outcomes``).

The figures are :func:`core.outcomes.compute`'s, for requests saved in a date range (the kiosk's own
days, ``TIMEZONE``; the last 30 by default). Each chart is an SVG drawn here from the same numbers as
the table beside it, and says itself in one sentence, which Read aloud speaks. No page views, logins
or ranking of workers are kept or shown: the figures are problems, times and residents' own words.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import format_date, format_timedelta, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user

from core import clock, outbox, outcomes
from core.actions import worker as actions

from .csv_cells import cell
from .db import get_db
from .i18n import current_locale
from .worker import nav_item
from .worker.auth import worker_required

bp = Blueprint("outcomes", __name__)
DEFAULT_DAYS = 30
LONGEST = 366 * 3

RATING_WORDS = {5: _l("Very satisfied"), 4: _l("Satisfied"), 3: _l("Fairly satisfied"), 2: _l("Dissatisfied"),
                1: _l("Very dissatisfied")}


class BadRange(ValueError):
    pass


def date_range(args) -> tuple[date, date]:
    """The first and last day asked for (the last 30 days by default); :class:`BadRange` with a polite reason."""
    today = current_app.config.get("CLOCK", clock.now)().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    try:
        last = date.fromisoformat(args["end"]) if args.get("end") else today
        first = date.fromisoformat(args["start"]) if args.get("start") else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise BadRange(_("Please give the dates as year-month-day, for example 2026-11-01.")) from None
    if not (2000 <= first.year and last.year <= 2100):  # and no date arithmetic overflows at the ends of time
        raise BadRange(_("Please choose days between the years 2000 and 2100."))
    if first > last:
        raise BadRange(_("The first day must not be after the last day."))
    if (last - first).days > LONGEST:
        raise BadRange(_("Please choose at most three years."))
    return first, last


def utc_bounds(first: date, last: date) -> tuple[str, str]:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    return clock.iso(start), clock.iso(end)


def shown_range(first: date, last: date) -> dict:
    return {"first_shown": format_date(first, "long"), "last_shown": format_date(last, "long")}


def duration(seconds: float | None) -> str:
    return "—" if seconds is None else format_timedelta(timedelta(seconds=seconds), threshold=1.5, granularity="hour")


def bars(rows: list[tuple], unit: str = "") -> dict:
    """One horizontal bar chart's geometry: rows of (label, value[, what to show]) scaled to the largest value.

    Each row is its label on one line and its bar, with the value written after it, on the next, so
    the chart reads without the table beside it (which holds the same numbers)."""
    top = max([row[1] or 0 for row in rows] + [0]) or 1
    height = 96
    return {"rows": [{"label": row[0], "value": row[1], "shown": row[2] if len(row) > 2 else f"{row[1]}{unit}",
                      "width": round(440 * (row[1] or 0) / top), "y": i * height}
                     for i, row in enumerate(rows)],
            "height": height * len(rows), "unit": unit}


def time_rows(found: outcomes.Outcomes) -> list[tuple]:
    """The time bars, each saying what it measures in a resident's words ("半数请求在3天内办完"), not as
    a median: (label, seconds, the time in words). A time nobody has reached yet says so instead."""
    county, yes = found.to_county_close, found.to_confirmation
    rows = []
    if county.n:
        rows += [(_("Half of requests finished within %(time)s", time=duration(county.median)), county.median, duration(county.median)),
                 (_("Nine in ten finished within %(time)s", time=duration(county.p90)), county.p90, duration(county.p90))]
    else:
        rows.append((_("No request has been finished yet"), 0, "—"))
    if yes.n:
        rows += [(_("Half confirmed solved within %(time)s", time=duration(yes.median)), yes.median, duration(yes.median)),
                 (_("Nine in ten confirmed solved within %(time)s", time=duration(yes.p90)), yes.p90, duration(yes.p90))]
    else:
        rows.append((_("No resident has confirmed a request solved yet"), 0, "—"))
    return rows


def charts(found: outcomes.Outcomes) -> list[dict]:
    """The three charts, each with its sentence (read aloud) and the table of its numbers."""
    problems = [(_("Received"), found.received), (_("Finished by the county"), found.closed_by_county),
                (_("Confirmed solved by the resident"), found.confirmed), (_("Sent back as not solved"), found.reopened)]
    ratings = [(str(RATING_WORDS[r]), found.ratings[r]) for r in outcomes.RATINGS]
    separator, stop = ("；", "。") if current_locale().startswith("zh") else ("; ", ".")
    times = time_rows(found)
    return [
        {"id": "chart-problems", "title": _("What happened to the requests"), "chart": bars(problems),
         "sentence": _("Of %(received)s requests received, the county finished %(closed)s and residents confirmed "
                       "%(confirmed)s as really solved; %(reopened)s went back to the county as not solved.",
                       received=found.received, closed=found.closed_by_county, confirmed=found.confirmed,
                       reopened=found.reopened)},
        {"id": "chart-ratings", "title": _("How satisfied residents are"), "chart": bars(ratings),
         "sentence": ngettext("From %(num)d rating: ", "From %(num)d ratings: ", found.rated) +
                     separator.join(f"{label} {value}" for label, value in ratings) + stop},
        {"id": "chart-times", "title": _("How long it took"), "chart": bars(times),
         "sentence": _("Half of the requests the county finished were closed within %(median)s of being saved, nine "
                       "in ten within %(p90)s (%(n)s requests); residents said yes within %(yes_median)s for half, "
                       "%(yes_p90)s for nine in ten (%(yes_n)s).",
                       median=duration(found.to_county_close.median), p90=duration(found.to_county_close.p90),
                       n=found.to_county_close.n, yes_median=duration(found.to_confirmation.median),
                       yes_p90=duration(found.to_confirmation.p90), yes_n=found.to_confirmation.n)},
    ]


def _figures(first: date, last: date) -> outcomes.Outcomes:
    return outcomes.compute(get_db(), *utc_bounds(first, last))


WALL_REFRESH_SECONDS = 300


@bp.get("/outcomes")
def wall():
    """The large-print summary for the centre's wall: the last 30 days, nothing personal, no login.

    A page of its own (no header, no help button: nobody touches it), read from three metres on a
    1920×1080 screen without scrolling, every word at least 48 px; it reloads itself every five minutes
    while nobody uses it (static/js/wall.js)."""
    first, last = date_range({})
    found = _figures(first, last)
    tiles = [(found.received, _("Requests received")), (found.closed_by_county, _("Finished by the county")),
             (found.confirmed, _("Confirmed solved by the resident")), (found.reopened, _("Sent back as not solved"))]
    ratings = [(str(RATING_WORDS[r]), found.ratings[r]) for r in outcomes.RATINGS]
    return render_template("outcomes/wall.html", found=found, tiles=tiles, times=wall_bars(time_rows(found)),
                           ratings=wall_bars(ratings), refresh=WALL_REFRESH_SECONDS, **shown_range(first, last))


def wall_bars(rows: list[tuple]) -> list[dict]:
    """Rows of (label, value[, shown]) as the wall's bars: each bar's length in per cent of the largest."""
    top = max([row[1] or 0 for row in rows] + [0]) or 1
    return [{"label": row[0], "shown": row[2] if len(row) > 2 else str(row[1]),
             "percent": round(100 * (row[1] or 0) / top, 1)} for row in rows]


nav_item("outcomes.page", _l("Outcomes"), "📊")


@bp.get("/worker/outcomes", endpoint="page")
@worker_required
def outcomes_page():
    """The figures for a chosen range, with how each is counted, and the exports."""
    error = None
    try:
        first, last = date_range(request.args)
    except BadRange as exc:
        error = str(exc)
        first, last = date_range({})
    found = _figures(first, last)
    return render_template("outcomes/page.html", found=found, first=first, last=last, charts=charts(found),
                           duration=duration, error=error, typed={k: request.args.get(k, "") for k in ("start", "end")},
                           admin=current_user.worker.is_admin, **shown_range(first, last)), (422 if error else 200)


# --- exports ---------------------------------------------------------------------------------------

def _rows(first: date, last: date, with_personal: bool) -> list[dict]:
    """One row per request saved in the range: its outcome fields, and its personal details only if asked."""
    return outcomes.export_rows(get_db(), *utc_bounds(first, last), with_personal)


def _export(kind: str):
    try:
        first, last = date_range(request.args)
    except BadRange as exc:
        return Response(str(exc) + "\n", status=422, mimetype="text/plain")
    with_personal = request.args.get("personal") == "1"
    if with_personal and not current_user.worker.is_admin:
        return Response(_("Only an administrator may export personal details.") + "\n", status=403, mimetype="text/plain")
    rows = _rows(first, last, with_personal)
    actions.note_outcomes_export(get_db(), current_user.worker.login, kind, len(rows), with_personal)
    name = f"kiosk-outcomes-{first}-{last}{'-with-personal-details' if with_personal else ''}"
    if kind == "csv":
        out = io.StringIO()
        out.write(("# " + _("Includes personal details: keep it safe and delete it when done.") + "\n") if with_personal
                  else ("# " + _("No personal details.") + "\n"))
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: cell(v) for k, v in row.items()} for row in rows)  # no cell runs as a formula
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    shaped = [{"service_request_id": r["service_request_id"], "service_code": r["service_code"],
               "status": "closed" if r["status"] == outbox.CLOSED else "open",
               "requested_datetime": r["requested_datetime"], "updated_datetime": r["closed_datetime"] or None,
               "attributes": {k: r[k] for k in r if k not in ("service_request_id", "service_code", "requested_datetime")}}
              for r in rows]
    body = {"personal_details_included": with_personal, "start": str(first), "end": str(last),
            "summary": _figures(first, last).as_dict(), "requests": shaped}
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}.json"})


@bp.get("/worker/outcomes.csv", endpoint="csv")
@worker_required
def outcomes_csv():
    return _export("csv")


@bp.get("/worker/outcomes.json", endpoint="json")
@worker_required
def outcomes_json():
    return _export("json")
