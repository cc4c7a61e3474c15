"""The kiosk's heartbeat for workers and monitors: ``/worker/health`` (a page in plain words, with
"Sync now"), ``/health.json`` (the same figures for a monitor) and ``/metrics`` (Prometheus text).

The figures and their verdicts are :mod:`sync.health`'s; this module only gathers what the web
process alone knows (its speech process), puts the figures into translated words, and serves them.
The page (and Sync now) is for logged-in workers (``worker_required``); the JSON and the Prometheus
text also answer a program on the box itself (:func:`monitor_allowed`).
"""
from __future__ import annotations

import functools
import json
import shutil
from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import format_decimal, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clock import utc_now
from sync import health
from sync.schedule import ask_to_run_now

from flask_login import current_user

from .db import backup_folder, database_path, get_db
from . import printing
from .i18n import current_locale
from .security import from_this_box, lan_address
from .worker import nav_item
from .worker.auth import worker_required
from .voice_views import cache_for

bp = Blueprint("health", __name__)
nav_item("health.page", _l("Kiosk health"), "💓")
REFRESH_SECONDS = 30  # the page's figures refresh themselves this often (htmx)


def monitor_allowed(view):
    """The figures for a monitor: a program on the box itself (loopback, e.g. a systemd timer or a local
    Prometheus agent), or a logged-in worker. Anyone else gets a polite 403."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not (from_this_box() or current_user.is_authenticated):
            return render_template("errors/problem.html", title=_("This page is for the centre's workers"),
                                   message=_("It can only be opened on the kiosk itself. Please ask a worker.")), 403
        return view(*args, **kwargs)
    return guarded


def current_health() -> health.Health:
    """Every figure now, with this process's speech process."""
    app = current_app._get_current_object()
    speech = cache_for(app, private=False).synthesiser
    running = speech.running
    voice = health.VoiceReport(available=shutil.which("espeak-ng") is not None, running=running,
                               pid=speech.pid if running else None, last_heard=speech.last_heard,
                               last_failure=speech.last_failure, failure=speech.failure)
    return health.check(get_db(), app.instance_path, database_path(app), max_pages=app.config["DB_MAX_PAGES"],
                        voice=voice, integrity=app.config.get("DB_INTEGRITY", []), backups=backup_folder(app))


# --- plain words ----------------------------------------------------------------------------------


def _ago(now: datetime, at: str | None) -> str:
    return format_timedelta(datetime.fromisoformat(at) - now, add_direction=True) if at else ""


def _duration(seconds: float) -> str:
    return format_timedelta(timedelta(seconds=abs(seconds)))


def _size(count: int) -> str:
    if count >= 1_000_000_000:
        return _("%(amount)s GB", amount=format_decimal(count / 1e9, "#,##0.0"))
    return _("%(amount)s MB", amount=format_decimal(count / 1e6, "#,##0.0"))


OVERALL = {
    health.GREEN: lambda: _("Everything is working."),
    health.AMBER: lambda: _("Something needs a look today."),
    health.RED: lambda: _("Something needs action now."),
}


def describe(figure: health.Figure, now: datetime, t: health.Thresholds = health.THRESHOLDS) -> dict:
    """One figure in words: ``{key, label, value, verdict, text, detail, detail_lang}``."""
    f, x, code = figure, figure.extra, figure.code
    detail, detail_lang, lines = "", "", []
    if f.name == "unsent":
        label, value = _("Waiting to be sent"), str(f.value)
        held = x.get("held", 0)  # spoken answers to write down hold these back: a worker's task, not the sync's
        text = ((_("Nothing is waiting for the county.") if held else _("Every request saved here is held by the county."))
                if code == "none" else
                _("Saved on this kiosk, not yet held by the county: %(queued)d waiting, %(in_flight)d being sent,"
                  " %(retry_wait)d to try again later.", **x["by_state"]))
        if held:
            text += " " + _("Waiting for a worker to write down what the resident said (Today's list): %(held)d.",
                            held=held)
    elif f.name == "oldest_unsent":
        label = _("Longest wait")
        value = _("None") if f.value is None else _duration(f.value)
        ago = _ago(now, x["since"])
        text = {"none": lambda: _("No request is waiting to be sent."),
                "waiting": lambda: _("The longest-waiting request was saved %(ago)s.", ago=ago),
                "late": lambda: _("The longest-waiting request was saved %(ago)s: longer than it should take. Check that"
                                  " the county can be reached, then press Sync now.", ago=ago),
                "very_late": lambda: _("The longest-waiting request was saved %(ago)s: more than %(limit)s. Tell the"
                                       " county's support line.", ago=ago, limit=_duration(t.oldest_unsent_red)),
                }[code]()
    elif f.name == "in_flight":
        label, value = _("Being sent now"), str(f.value)
        text = {"none": lambda: _("No request is being sent."),
                "sending": lambda: _("A sync is sending these now."),
                "outcome_unknown": lambda: _("Sent %(ago)s with no answer yet. The next sync asks the county whether it"
                                             " has them: nothing is sent twice.", ago=_ago(now, x["since"])),
                }[code]()
    elif f.name == "quarantined":
        label, value = _("Refused by the county"), str(f.value)
        text = (_("The county has refused none.") if code == "none" else
                _("A worker must look at these: correct what the county refused, then send them again."))
    elif f.name == "last_success":
        label = _("Last successful sync")
        value = _("Never") if x["at"] is None else _ago(now, x["at"])
        limit = _duration(t.no_success)
        text = {("recent", health.GREEN): lambda: _("All went well then."),
                ("never", health.GREEN): lambda: _("This kiosk has not synced yet. Nothing is waiting."),
                ("never", health.AMBER): lambda: _("This kiosk has never reached the county, and requests are waiting."),
                ("never", health.RED): lambda: _("This kiosk has never reached the county, and requests are waiting."),
                ("old", health.AMBER): lambda: _("No sync has gone well for more than %(limit)s. Nothing is waiting,"
                                                 " but news from the county is not coming back.", limit=limit),
                ("old", health.RED): lambda: _("No sync has gone well for more than %(limit)s, and requests are"
                                               " waiting. Check the network and the county, then press Sync now.",
                                               limit=limit),
                }[(code, f.verdict)]()
    elif f.name == "last_attempt":
        label = _("Last sync attempt")
        value = _("Never") if x["started_at"] is None else _ago(now, x["started_at"])
        text = {"none": lambda: _("The sync service has not run yet."),
                "ok": lambda: _("It went well."),
                "running": lambda: _("A sync is running now."),
                "cut_short": lambda: _("It never finished: the sync service may have stopped. It is safe to press Sync"
                                       " now."),
                "failed": lambda: _("It met a problem (below). The sync service tries again by itself."),
                "key_refused": lambda: _("The county refused this kiosk's key. Nothing can be sent until the key is"
                                         " put right: call the county's support line."),
                }[code]()
        if x["error"]:
            detail, detail_lang = x["error"], "en"  # the engine's own words, for whoever fixes it
    elif f.name == "clock_offset":
        label = _("Clock compared with the county")
        value = _("Unknown") if f.value is None else _duration(f.value)
        if code == "unknown":
            text = _("Not measured yet: the county tells its time at each sync.")
        elif code == "ok":
            text = _("The clocks agree.")
        else:
            amount = _duration(f.value)
            text = (_("The county's clock is %(amount)s ahead of this kiosk's.", amount=amount) if f.value > 0 else
                    _("The county's clock is %(amount)s behind this kiosk's.", amount=amount))
            text += " " + (_("Keep an eye on it.") if code == "off" else
                           _("Set the kiosk's clock: the times on requests are wrong."))
    elif f.name == "catalogue":
        label = _("The county's list of services")
        value = {"ok": _("Up to date"), "not_refreshed": _("Not fetched yet"), "failed": _("Refresh failed"),
                 "refused": _("Changes refused"), "unlisted": _("Services missing")}[code]
        fetched = _ago(now, x["refreshed_at"])
        text = {"not_refreshed": lambda: _("The kiosk fetches the county's services and questions at the nightly sync"
                                           " and when Sync now is pressed."),
                "ok": lambda: _("Fetched %(ago)s. The kiosk offers every service the county lists, and asks its own"
                                " questions as well as the county's.", ago=fetched),
                "failed": lambda: _("The last refresh, %(ago)s, failed (below): the kiosk keeps the services and"
                                    " questions it had, and tries again at the next nightly sync.",
                                    ago=_ago(now, x["at"])),
                "refused": lambda: _("Fetched %(ago)s. The county's list would have removed questions the kiosk asks:"
                                     " the kiosk refused those changes and kept its own questions (below).", ago=fetched),
                "unlisted": lambda: _("Fetched %(ago)s. The county does not list every service this kiosk offers"
                                      " (below).", ago=fetched),
                }[code]()
        lines = catalogue_lines(x)
        if x["error"]:
            detail, detail_lang = x["error"], "en"  # the engine's own words, for whoever fixes it
    elif f.name == "sync_service":
        label = _("Sync service")
        value = {"running": _("Running"), "not_running": _("Not running"), "unknown": _("Unknown")}[code]
        text = {("running", health.GREEN): lambda: _("It sends requests as soon as the county answers."),
                ("not_running", health.AMBER): lambda: _("Nothing is waiting, but news from the county will not come"
                                                         " back until it is started."),
                ("not_running", health.RED): lambda: _("Requests are waiting, and nothing will be sent until it is"
                                                       " started. Restart the kiosk, or ask whoever looks after it."),
                ("unknown", health.AMBER): lambda: _("The kiosk cannot tell whether it is running."),
                }[(code, f.verdict)]()
        if x["run_now_asked_at"]:
            detail = _("Sync now was asked %(ago)s and has not started yet.", ago=_ago(now, x["run_now_asked_at"]))
    elif f.name == "speech_service":
        label = _("Reading aloud")
        value = {"running": _("Running"), "idle": _("Ready"), "failing": _("Failing"),
                 "unavailable": _("Unavailable")}[code]
        text = {"running": lambda: _("The speech process is running."),
                "idle": lambda: _("It starts when a page is first read aloud."),
                "failing": lambda: _("The last thing it was asked to read failed (below). It restarts by itself; if it"
                                     " keeps failing, restart the kiosk."),
                "unavailable": lambda: _("The speech engine (espeak-ng) is missing, so pages cannot be read aloud."
                                         " Ask whoever looks after the kiosk to install it again."),
                }[code]()
        if code == "failing":
            detail, detail_lang = x["failure"] or "", "en"
        elif x["last_heard"]:
            detail = _("It last spoke %(ago)s.", ago=_ago(now, x["last_heard"]))
    elif f.name == "free_disk":
        label, value = _("Free disk space"), _size(f.value)
        text = {"ok": lambda: _("Enough room."),
                "low": lambda: _("Getting full: under %(limit)s. Ask whoever looks after the kiosk to make room.",
                                 limit=_size(t.free_disk_amber)),
                "very_low": lambda: _("Nearly full: under %(limit)s. Saving requests may soon fail.",
                                      limit=_size(t.free_disk_red)),
                }[code]()
    elif f.name == "database_size":
        label, value = _("Database size"), _size(f.value)
        cap = _size(x["cap_bytes"]) if x["cap_bytes"] else ""
        text = {"no_cap": lambda: _("The saved requests and everything else the kiosk keeps."),
                "ok": lambda: _("Well under its limit of %(cap)s.", cap=cap),
                "near_cap": lambda: _("Near its limit of %(cap)s.", cap=cap),
                "at_cap": lambda: _("At its limit of %(cap)s: saving requests will fail.", cap=cap),
                }[code]()
    elif f.name == "integrity":
        label = _("Database check")
        value = {"ok": _("Sound"), "damaged": _("Damaged")}[code]
        text = {"ok": lambda: _("Checked when the kiosk started: every page of the database reads well."),
                "damaged": lambda: _("The check at start-up found damage (a power cut?). Nothing new is saved until last"
                                     " night's backup is restored: ask whoever looks after the kiosk (docs/operations.md)."),
                }[code]()
        if code == "damaged":
            detail, detail_lang = "; ".join(x["problems"]), "en"
    elif f.name == "last_backup":
        label = _("Last backup")
        value = _ago(now, x["at"]) if x["at"] else _("None yet")
        text = {"ok": lambda: _("A copy of the database is made every night, after the nightly sync."),
                "never": lambda: _("No backup has been made yet: the first is made after the nightly sync."),
                "old": lambda: _("The nightly backup has not been made for more than two days. Is the sync service running?"),
                "very_old": lambda: _("No backup for more than a week: after a power cut there would be nothing recent to"
                                      " fall back on. Ask whoever looks after the kiosk."),
                }[code]()
    else:  # a figure added to sync.health without words yet: say it plainly rather than fail
        label, value, text = f.name, str(f.value), f.code
    return {"key": f.name, "label": label, "value": value, "verdict": f.verdict, "text": text, "detail": detail,
            "detail_lang": detail_lang, "lines": lines}


def catalogue_lines(report: dict) -> list[str]:
    """What the county's catalogue would have removed, service by service, and the services it does not
    list: one sentence each, with the services', questions' and answers' names in the page's language."""
    from core import catalogue

    db, locale, lines = get_db(), current_locale(), []
    find = lambda code: catalogue.get_service(db, code, locale, include_hidden=True)  # noqa: E731
    for code, changes in report["refused"].items():
        service = find(code)
        name = service.name if service else code
        for change in changes:
            question = service.question(change.get("question", "")) if service else None
            asked = question.text if question else change.get("question", "")
            if change.get("change") == "option":
                option = question.option_name(change.get("option", "")) if question else change.get("option", "")
                lines.append(_("“%(service)s”: the county's list would have removed the answer “%(option)s” to"
                               " “%(question)s”.", service=name, option=option, question=asked))
            elif change.get("change") == "datatype":
                lines.append(_("“%(service)s”: the county's list would have changed the kind of answer “%(question)s”"
                               " takes.", service=name, question=asked))
            else:
                lines.append(_("“%(service)s”: the county's list would have removed the question “%(question)s”.",
                               service=name, question=asked))
        lines.append(_("The kiosk kept its own questions for “%(service)s”.", service=name))
    lines += [_("The county does not list “%(service)s”: requests for it will be refused by the county and wait in"
                " Today's list.", service=find(code).name if find(code) else code) for code in report["unlisted"]]
    if report["unlisted"]:
        lines.append(_("What to do: ask the county to add them, or stop offering them here: an administrator loads the"
                       " catalogue without them (flask catalogue load, docs/operations.md)."))
    return lines


# --- the three views ------------------------------------------------------------------------------


@bp.route("/worker/health")
@worker_required
def page():
    """The kiosk's health in plain words, each figure with its verdict; "Sync now"."""
    found = current_health()
    now = datetime.fromisoformat(found.at)
    printer = printing.health_item()  # the receipt printer: only this process can ask it (DLE EOT, ≤ 1 s)
    overall = max(found.overall, printer["verdict"], key=list(OVERALL).index)
    context = {"overall": overall, "overall_text": OVERALL[overall](),
               "items": [describe(f, now) for f in found.figures] + [printer], "at": found.at, "refresh": REFRESH_SECONDS}
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "health-figures":
        return render_template("health/_figures.html", **context)
    asked = session.pop("health_sync_asked", False)
    return render_template("health/page.html", asked=asked, sync_running=found["sync_service"].code == "running",
                           settings=place_settings(), **context)


def place_settings() -> list[dict]:
    """The settings that differ between centres, in words: what a worker checks after an install."""
    from core import addresses, catalogue

    config, db = current_app.config, get_db()
    speech = {"mandarin": _("Mandarin"), "cantonese": _("Cantonese")}[config["CHINESE_SPEECH"]]
    qr = config["PUBLIC_URL"] or _("the address the page is opened at (on the kiosk's own screen: %(lan)s)",
                                    lan=lan_address() or _("none: this box has no network address"))
    return [
        {"key": _("Centre"), "value": config["CENTRE_NAME"] or _("not set")},
        {"key": _("Where requests are made (sent to the county)"), "value": config["LOCATION"] if config["COUNTY_LOCATION"] != "home"
         else _("%(centre)s; for a home visit, the resident's address where she said yes", centre=config["LOCATION"])},
        {"key": _("The centre's coordinates (sent to the county)"),
         "value": _("latitude %(lat)s, longitude %(long)s", lat=config["CENTRE_LAT"], long=config["CENTRE_LONG"])
         if config["CENTRE_LAT"] else _("not set: requests carry the address only")},
        {"key": _("This kiosk"), "value": config["KIOSK_ID"]},
        {"key": _("Receipt printer"), "value": _("%(printer)s, paper %(mm)s mm", printer=config["PRINTER"], mm=config["PRINTER_PAPER_MM"])
         if config["PRINTER"] != "none" else _("none (receipts are shown on the screen only)")},
        {"key": _("Address in the receipts' QR codes"), "value": qr},
        {"key": _("County platform"), "value": config["COUNTY_URL"]},
        {"key": _("Speech of Chinese pages"), "value": speech},
        {"key": _("Voice of Mandarin speech"), "value": mandarin_voice()},
        {"key": _("Idle time before asking, then before starting again"),
         "value": _("%(asking)s s, then %(reset)s s", asking=config["IDLE_SECONDS"], reset=config["IDLE_WARNING_SECONDS"])},
        {"key": _("Services offered"), "value": str(sum(len(g["services"]) for g in catalogue.list_groups(db, "zh_Hans_CN")))},
        {"key": _("Address book"), "value": _("%(estates)s estates, %(flats)s flats", estates=len(addresses.estates(db)),
                                               flats=addresses.flat_count(db)) if not addresses.is_empty(db) else _("none")},
    ]


def mandarin_voice() -> str:
    """Which voice speaks Mandarin, in words: the natural (neural) one where `make voice` installed it and
    the last build made its prompts with it, else espeak-ng, and why (engines/speech/neural.py)."""
    from engines.speech.neural import installed, voice_name

    from .voice_cli import last_report

    report = last_report(current_app._get_current_object())
    chosen = voice_name(current_app.config["VOICE"])
    if not installed():
        return _("espeak-ng (the natural voice is not installed: make voice)")
    if report is None:
        return _("natural voice %(voice)s, once its prompts are made (kiosk-voice); until then espeak-ng", voice=chosen)
    if not report.get("voice"):
        return _("espeak-ng: the natural voice could not speak at the last build (%(why)s)", why=report.get("why_not_neural", ""))
    return _("natural voice %(voice)s (prompts made %(when)s; %(failed)s failed, said by espeak-ng)",
             voice=report["voice"], when=report.get("finished", "")[:16].replace("T", " "), failed=report.get("failed", 0))


@bp.post("/worker/health/sync-now")
@worker_required
def sync_now():
    """Ask the sync service to run at once (it looks for the request every second)."""
    ask_to_run_now(current_app.instance_path, utc_now())
    session["health_sync_asked"] = True
    return redirect(url_for("health.page"))


@bp.route("/health.json")
@monitor_allowed
def as_json():
    """The figures for a monitor: see docs/design.md ("The kiosk's heartbeat") for the schema."""
    document = {"version": health.VERSION, "kiosk": current_app.config["KIOSK_ID"], **current_health().as_dict()}
    response = Response(json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


VERDICT_NUMBER = {health.GREEN: 0, health.AMBER: 1, health.RED: 2}
# figure → (metric, help); values in the figure's own unit (seconds, bytes, requests)
METRICS = {
    "oldest_unsent": ("kiosk_oldest_unsent_age_seconds", "Seconds the oldest request not yet held by the county has waited."),
    "quarantined": ("kiosk_quarantined_requests", "Requests the county refused, waiting for a worker."),
    "last_success": ("kiosk_last_success_age_seconds", "Seconds since the last sync that met no problem."),
    "last_attempt": ("kiosk_last_attempt_age_seconds", "Seconds since the last sync run started."),
    "clock_offset": ("kiosk_clock_offset_seconds", "The county's clock minus the kiosk's, as last measured."),
    "free_disk": ("kiosk_free_disk_bytes", "Bytes free on the database's file system."),
    "database_size": ("kiosk_database_bytes", "Bytes of the database file and its write-ahead log."),
    "last_backup": ("kiosk_last_backup_age_seconds", "Seconds since the newest nightly backup was made."),
}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(found: health.Health, kiosk: str) -> str:
    """The figures in Prometheus' text exposition format (0.0.4): gauges only; a figure with no value
    (nothing waiting, never synced) has no sample, as Prometheus expects of an unknown."""
    lines = ["# HELP kiosk_health_overall The worst verdict of all figures: 0 green, 1 amber, 2 red.",
             "# TYPE kiosk_health_overall gauge",
             f'kiosk_health_overall{{kiosk="{_label(kiosk)}"}} {VERDICT_NUMBER[found.overall]}',
             "# HELP kiosk_health_verdict Each figure's verdict: 0 green, 1 amber, 2 red.",
             "# TYPE kiosk_health_verdict gauge"]
    lines += [f'kiosk_health_verdict{{kiosk="{_label(kiosk)}",figure="{f.name}"}} {VERDICT_NUMBER[f.verdict]}'
              for f in found.figures]
    lines += ["# HELP kiosk_unsent_requests Requests saved here and not yet held by the county, by state.",
              "# TYPE kiosk_unsent_requests gauge"]
    lines += [f'kiosk_unsent_requests{{kiosk="{_label(kiosk)}",state="{state}"}} {count}'
              for state, count in found["unsent"].extra["by_state"].items()]
    for f in found.figures:
        if f.name in METRICS and f.value is not None:
            name, text = METRICS[f.name]
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f'{name}{{kiosk="{_label(kiosk)}"}} {f.value}']
    lines += ["# HELP kiosk_service_up Whether a background service of the kiosk is running (1) or not (0).",
              "# TYPE kiosk_service_up gauge"]
    for name, figure in (("sync", "sync_service"), ("voice", "speech_service")):
        try:
            state = found[figure].code
        except KeyError:  # no speech process in this process
            continue
        if state != "unknown":
            lines.append(f'kiosk_service_up{{kiosk="{_label(kiosk)}",service="{name}"}} {int(state == "running")}')
    return "\n".join(lines) + "\n"


@bp.route("/metrics")
@monitor_allowed
def metrics():
    """The figures as Prometheus text, for a scraper on the box (or, later, a logged-in one)."""
    response = Response(prometheus_text(current_health(), current_app.config["KIOSK_ID"]),
                        content_type="text/plain; version=0.0.4; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response
