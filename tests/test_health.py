"""The kiosk's heartbeat (issue 11, item 4): the figures of sync.health against a database seeded with
known states (values worked out by hand), each verdict's limits on both sides, the queries it makes
(no table scanned), /health.json and /metrics, the page in three languages, "Sync now" reaching a real
sync service, and the one guard on all three URLs."""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from core import drafts, outbox, submissions
from core.actions import resident
from core.db import write_transaction
from kiosk.db import database_path, get_db
from sync import health, runs
from sync.health import AMBER, GREEN, RED, THRESHOLDS as T
from sync.schedule import RUN_NOW_FILE, SingleInstance, lock_holder

from .conftest import KIOSK_SIZE, LOCALES, PHONE_SIZE, ROOT, LiveKiosk
from .worker_helpers import PASSWORDS, add_accounts, log_in


def worker_client(app):
    """A client logged in as alice, a worker (the page and Sync now are for logged-in workers)."""
    add_accounts(app)
    client = app.test_client()
    assert log_in(client, "alice").status_code == 302
    return client

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
ERROR = "county unreachable: connection refused"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def seed(db, now: datetime, monkeypatch) -> dict[str, int]:
    """Five requests in known states, and two sync runs, at known times before ``now``:

    - ``flying``  saved 3 h before, in flight since 30 min before (its outcome unknown);
    - ``waiting`` saved 2 h before, in flight and then waiting to retry;
    - ``queued``  saved 1 h before, still queued;
    - ``refused`` saved a day and 4 h before, quarantined a day and 3 h before;
    - ``done``    saved two days before, accepted, then closed a day before;
    - a nightly run that went well, finished 17 h 29 min before (the county's clock 45 s ahead);
    - a queue run an hour before that met the county unreachable.
    """
    ago = lambda **delta: _iso(now - timedelta(**delta))  # noqa: E731
    saved_at = iter([ago(hours=3), ago(hours=2), ago(hours=1), ago(hours=28), ago(hours=48)])
    monkeypatch.setattr(submissions, "utc_now", lambda: next(saved_at))
    ids = {}
    for name in ("flying", "waiting", "queued", "refused", "done"):
        _, draft = resident.start_draft(db, "repairs", "zh_Hans_CN")
        draft.answers, draft.personal = {"what": "light", "where": "3号楼", "danger": "no"}, {"contact": "centre"}
        ids[name] = resident.save_request(db, draft, "kiosk-test").id
    with write_transaction(db):
        outbox.record(db, ids["flying"], outbox.IN_FLIGHT, ago(minutes=30), attempt=1)
        outbox.record(db, ids["waiting"], outbox.IN_FLIGHT, ago(minutes=100), attempt=1)
        outbox.record(db, ids["waiting"], outbox.RETRY_WAIT, ago(minutes=90), next_attempt_at=ago(minutes=60))
        outbox.record(db, ids["refused"], outbox.IN_FLIGHT, ago(hours=27, minutes=30), attempt=1)
        outbox.record(db, ids["refused"], outbox.QUARANTINED, ago(hours=27), reason="unknown service")
        outbox.record(db, ids["done"], outbox.IN_FLIGHT, ago(hours=47), attempt=1)
        outbox.record(db, ids["done"], outbox.ACCEPTED, ago(hours=47), service_request_id="C1")
        outbox.record(db, ids["done"], outbox.CLOSED, ago(hours=24), service_request_id="C1")
    nightly = runs.start(db, "nightly", ago(hours=17, minutes=30))
    runs.finish(db, nightly, ago(hours=17, minutes=29), sent=0, accepted=0, quarantined=0, retrying=0,
                status_updates=1, county_date=None, clock_offset_seconds=45.0, key_refused=False, error=None)
    failed = runs.start(db, "queue", ago(hours=1))
    runs.finish(db, failed, ago(minutes=59, seconds=30), sent=1, accepted=0, quarantined=0, retrying=1,
                status_updates=0, county_date=None, clock_offset_seconds=None, key_refused=False, error=ERROR)
    return ids


@pytest.fixture
def seeded(app, monkeypatch):
    with app.app_context():
        seed(get_db(), NOW, monkeypatch)
    return app


def check(app, **kwargs) -> health.Health:
    return health.check(get_db(), app.instance_path, database_path(app), now=NOW, **kwargs)


# --- the figures, worked out by hand --------------------------------------------------------------


def test_figures_of_a_seeded_database(seeded):
    app = seeded
    with app.app_context():
        found = check(app, voice=health.VoiceReport(available=True, running=False))
        size = sum(os.path.getsize(p) for p in (database_path(app), f"{database_path(app)}-wal") if os.path.exists(p))
        disk = os.statvfs(database_path(app).parent)
    figures = {f.name: f for f in found.figures}
    assert list(figures) == ["unsent", "oldest_unsent", "in_flight", "quarantined", "last_success", "last_attempt",
                             "clock_offset", "catalogue", "sync_service", "speech_service", "free_disk", "database_size"]
    got = {name: (f.value, f.verdict, f.code) for name, f in figures.items()}
    assert got["unsent"] == (3, GREEN, "waiting")                     # flying + waiting + queued
    assert figures["unsent"].extra["by_state"] == {"queued": 1, "in_flight": 1, "retry_wait": 1}
    assert got["oldest_unsent"] == (3 * 3600, AMBER, "late")          # flying, saved 3 h ago (not 'refused')
    assert figures["oldest_unsent"].extra["since"] == "2026-11-25T09:00:00+00:00"
    assert got["in_flight"] == (1, AMBER, "outcome_unknown")          # 30 min > 15 min without an answer
    assert figures["in_flight"].extra["since"] == "2026-11-25T11:30:00+00:00"
    assert got["quarantined"] == (1, AMBER, "refused")
    assert figures["quarantined"].extra["since"] == "2026-11-24T09:00:00+00:00"
    assert got["last_success"] == (17 * 3600 + 29 * 60, GREEN, "recent")  # the nightly run, 17 h 29 min ago
    assert figures["last_success"].extra["at"] == "2026-11-24T18:31:00+00:00"
    assert got["last_attempt"] == (3600, AMBER, "failed")
    assert figures["last_attempt"].extra == {"trigger": "queue", "started_at": "2026-11-25T11:00:00+00:00",
                                             "finished_at": "2026-11-25T11:00:30+00:00", "error": ERROR}
    assert got["clock_offset"] == (45.0, AMBER, "off")                # measured by the last run that could
    assert got["catalogue"] == ("not_refreshed", GREEN, "not_refreshed")  # seeded runs fetched no catalogue
    assert got["sync_service"] == ("not_running", RED, "not_running")  # and requests are waiting
    assert got["speech_service"] == ("idle", GREEN, "idle")
    assert figures["free_disk"].unit == "bytes" and abs(figures["free_disk"].value - disk.f_bavail * disk.f_frsize) < 50 * 2**20
    assert figures["database_size"].value == size and got["database_size"][1:] == (GREEN, "no_cap")
    assert found.overall == RED


def test_a_spoken_answer_to_write_down_is_no_late_request(seeded, monkeypatch, tmp_path):
    # A request held until a worker writes down what the resident said (issue 23) waits for a person, not
    # for the county: three days of it must not make "Longest wait" red, nor count as waiting to be sent.
    import subprocess as run

    from core import media
    from core.actions import worker

    app = seeded
    said = tmp_path / "said.wav"
    run.run(["espeak-ng", "-v", "cmn", "-w", str(said), "楼道灯坏了"], check=True, capture_output=True)
    with app.app_context():
        db = get_db()
        monkeypatch.setattr(submissions, "utc_now", lambda: _iso(NOW - timedelta(days=3)))
        _, draft = resident.start_draft(db, "repairs", "zh_Hans_CN")
        draft.answers, draft.personal = {"what": "light", "danger": "no"}, {"contact": "centre"}
        mime, seconds = media.check_audio(said.read_bytes())
        resident.keep_spoken(db, draft, "where", said.read_bytes(), mime, seconds)
        held = resident.save_request(db, draft, "kiosk-test")
        figures = {f.name: f for f in check(app).figures}
        assert (figures["unsent"].value, figures["unsent"].extra["held"]) == (3, 1)   # the seeded three, and this one apart
        assert figures["unsent"].extra["by_state"]["queued"] == 1
        assert (figures["oldest_unsent"].value, figures["oldest_unsent"].verdict) == (3 * 3600, AMBER)  # not 3 days, not red
        assert outbox.oldest_unsent_since(db) == "2026-11-25T09:00:00+00:00"
        client = worker_client(app)
        client.post("/language", data={"locale": "en"})
        assert "write down what the resident said (Today&#39;s list): 1." in client.get("/worker/health").get_data(as_text=True)
        # written down, it is the sync's to send like any other, from when it was saved
        worker.write_down(db, "worker", media.for_request(db, held.id)[0].id, "3号楼楼道")
        figures = {f.name: f for f in check(app).figures}
        assert (figures["unsent"].value, figures["unsent"].extra["held"]) == (4, 0)
        assert (figures["oldest_unsent"].value, figures["oldest_unsent"].verdict) == (3 * 86400, RED)


def test_the_sync_service_is_running_while_it_holds_its_lock(seeded):
    app = seeded
    lock = f"{app.instance_path}/sync.lock"
    with app.app_context():
        with SingleInstance(lock):
            assert lock_holder(lock) == os.getpid()
            running = check(app)["sync_service"]
            assert (running.value, running.verdict, running.extra["pid"]) == ("running", GREEN, os.getpid())
            assert check(app).overall == AMBER  # the rest: the late request, the one in flight, the refused one…
        stopped = check(app)["sync_service"]
    assert (stopped.value, stopped.verdict, stopped.extra["pid"]) == ("not_running", RED, None)


def test_the_database_against_its_cap(seeded):
    app = seeded
    with app.app_context():
        size = check(app)["database_size"].value
        page = get_db().execute("PRAGMA page_size").fetchone()[0]
        assert check(app, max_pages=math.ceil(size / page))["database_size"].verdict == RED
        roomy = check(app, max_pages=size // page * 10)["database_size"]
    assert (roomy.verdict, roomy.code, roomy.extra["cap_bytes"]) == (GREEN, "ok", size // page * 10 * page)


def test_figures_of_an_empty_kiosk_are_green_but_the_missing_worker(app):
    with app.app_context():
        found = check(app)
    assert {f.name: f.verdict for f in found.figures if f.verdict != GREEN} == {"sync_service": AMBER}
    assert found["last_success"].code == "never" and found["oldest_unsent"].value is None
    with pytest.raises(KeyError):
        found["speech_service"]  # no report given: left out, not guessed


def test_computing_the_figures_scans_no_table(seeded):
    """Every statement check() runs, asked for its plan: only index searches, never a pass over a table."""
    app = seeded
    with app.app_context():
        db = get_db()
        statements = []
        db.conn.set_trace_callback(statements.append)
        try:
            check(app, max_pages=1000)
        finally:
            db.conn.set_trace_callback(None)
        plans = {sql: [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)] for sql in statements}
    assert len(plans) >= 5, plans  # the outbox tally, three questions to sync_runs, the page size
    scans = {sql: plan for sql, plan in plans.items() if any(step.startswith("SCAN") for step in plan)}
    assert not scans, scans


# --- each limit, on both sides ----------------------------------------------------------------------


@pytest.mark.parametrize("judge, below, above", [
    (lambda age: health.judge_oldest_unsent(age), (T.oldest_unsent_amber, GREEN), (T.oldest_unsent_amber + 1, AMBER)),
    (lambda age: health.judge_oldest_unsent(age), (T.oldest_unsent_red, AMBER), (T.oldest_unsent_red + 1, RED)),
    (lambda age: health.judge_in_flight(1, age), (T.in_flight_amber, GREEN), (T.in_flight_amber + 1, AMBER)),
    (lambda n: health.judge_quarantined(n), (0, GREEN), (1, AMBER)),
    (lambda age: health.judge_last_success(age, waiting=False, oldest_unsent=None), (T.no_success, GREEN),
     (T.no_success + 1, AMBER)),
    (lambda age: health.judge_last_success(age, waiting=True, oldest_unsent=60), (T.no_success, GREEN),
     (T.no_success + 1, RED)),
    (lambda age: health.judge_last_success(None, waiting=True, oldest_unsent=age), (T.no_success, AMBER),
     (T.no_success + 1, RED)),
    (lambda age: health.judge_last_attempt({"finished_at": None}, age), (T.run_unfinished_amber, GREEN),
     (T.run_unfinished_amber + 1, AMBER)),
    (lambda s: health.judge_clock(s), (T.clock_amber, GREEN), (T.clock_amber + 0.1, AMBER)),
    (lambda s: health.judge_clock(-s), (T.clock_amber, GREEN), (T.clock_amber + 0.1, AMBER)),
    (lambda s: health.judge_clock(s), (runs.CLOCK_SKEW_LIMIT, AMBER), (runs.CLOCK_SKEW_LIMIT + 0.1, RED)),
    (lambda s: health.judge_clock(-s), (runs.CLOCK_SKEW_LIMIT, AMBER), (runs.CLOCK_SKEW_LIMIT + 0.1, RED)),
    (lambda free: health.judge_free_disk(free), (T.free_disk_amber, GREEN), (T.free_disk_amber - 1, AMBER)),
    (lambda free: health.judge_free_disk(free), (T.free_disk_red, AMBER), (T.free_disk_red - 1, RED)),
    (lambda size: health.judge_database(size, 1000), (800, GREEN), (801, AMBER)),
    (lambda size: health.judge_database(size, 1000), (950, AMBER), (951, RED)),
], ids=["oldest 1 h", "oldest 1 day", "in flight 15 min", "quarantined any", "no success, none waiting",
        "no success, requests waiting", "never synced, requests waiting", "run unfinished 15 min",
        "clock ahead 30 s", "clock behind 30 s", "clock ahead skew limit", "clock behind skew limit",
        "free disk 200 MB", "free disk 50 MB", "database 80 %", "database 95 %"])
def test_each_limit_on_both_sides(judge, below, above):
    assert judge(below[0])[0] == below[1]
    assert judge(above[0])[0] == above[1]


def test_the_limits_the_issue_names():
    assert (T.oldest_unsent_amber, T.oldest_unsent_red) == (3600, 86400)
    assert (T.free_disk_amber, T.free_disk_red) == (200_000_000, 50_000_000)
    assert T.clock_red == runs.CLOCK_SKEW_LIMIT and T.no_success == 86400


def test_verdicts_of_the_last_attempt_and_the_workers():
    finished = {"finished_at": "x", "key_refused": False, "error": None}
    assert health.judge_last_attempt(None, None) == (GREEN, "none")
    assert health.judge_last_attempt(finished, 5) == (GREEN, "ok")
    assert health.judge_last_attempt({**finished, "error": "catalogue: timeout"}, 5) == (AMBER, "failed")
    assert health.judge_last_attempt({**finished, "error": "key", "key_refused": True}, 5) == (RED, "key_refused")
    assert health.judge_sync_service(123, True, waiting=True) == (GREEN, "running")
    assert health.judge_sync_service(None, True, waiting=False) == (AMBER, "not_running")
    assert health.judge_sync_service(None, False, waiting=False) == (AMBER, "unknown")
    voice = health.VoiceReport
    assert health.judge_voice(voice(available=False, running=False)) == (RED, "unavailable")
    assert health.judge_voice(voice(available=True, running=True, last_heard=10)) == (GREEN, "running")
    assert health.judge_voice(voice(available=True, running=False, last_heard=10, last_failure=20)) == (AMBER, "failing")
    assert health.judge_voice(voice(available=True, running=True, last_heard=30, last_failure=20)) == (GREEN, "running")
    assert health.worst([GREEN, RED, AMBER]) == RED and health.worst([]) == GREEN


def test_the_speech_process_is_known_by_what_it_last_did(app, tmp_path):
    """The web process's own speech process: ready before first use, running and heard after speaking,
    failing (with what it said) after a job that failed."""
    from kiosk.voice_views import cache_for
    from engines.speech.voices import VOICES
    from engines.speech.synthesiser import SpeechError

    client = app.test_client()
    voice = lambda: client.get("/health.json").get_json()["figures"]["speech_service"]  # noqa: E731
    assert (voice()["value"], voice()["verdict"], voice()["last_heard"]) == ("idle", GREEN, None)
    speech = cache_for(app, private=False).synthesiser
    try:
        speech.synthesize("你好", VOICES["mandarin"], 150, tmp_path / "hello.wav")
        heard = voice()
        assert (heard["value"], heard["verdict"], heard["pid"]) == ("running", GREEN, speech.pid)
        assert abs(datetime.fromisoformat(heard["last_heard"]) - datetime.now(timezone.utc)) < timedelta(seconds=30)
        with pytest.raises(SpeechError):
            speech.synthesize("你好", "no/such-voice", 150, tmp_path / "nothing.wav")
        failing = voice()
        assert (failing["value"], failing["verdict"]) == ("failing", AMBER) and "no/such-voice" in failing["failure"]
    finally:
        speech.close()


# --- /health.json and /metrics --------------------------------------------------------------------------


@pytest.fixture
def seeded_now(app, monkeypatch):
    """The same states, seeded against the real clock (the web views read it)."""
    with app.app_context():
        seed(get_db(), datetime.now(timezone.utc), monkeypatch)
    return app


def test_the_json_document_and_its_schema(seeded_now):
    response = seeded_now.test_client().get("/health.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    document = response.get_json()
    assert list(document) == ["version", "kiosk", "at", "overall", "figures"]
    assert document["version"] == health.VERSION == 1 and document["kiosk"] == "kiosk-1"
    assert datetime.fromisoformat(document["at"]).tzinfo is not None
    units = {"requests", "seconds", "bytes", "state"}
    for name, figure in document["figures"].items():
        assert {"value", "unit", "verdict", "code"} <= set(figure), name
        assert figure["unit"] in units and figure["verdict"] in ("green", "amber", "red"), name
        if figure["value"] is not None:
            assert isinstance(figure["value"], str if figure["unit"] == "state" else (int, float)), name
    assert document["overall"] == health.worst(f["verdict"] for f in document["figures"].values()) == "red"
    figures = document["figures"]
    assert (figures["unsent"]["value"], figures["quarantined"]["value"], figures["in_flight"]["value"]) == (3, 1, 1)
    assert 3 * 3600 - 5 <= figures["oldest_unsent"]["value"] <= 3 * 3600 + 60
    assert figures["last_attempt"]["error"] == ERROR and figures["clock_offset"]["value"] == 45.0
    assert figures["speech_service"]["value"] in ("idle", "running")


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text: str) -> dict[tuple, float]:
    """The text exposition format (0.0.4), strictly enough for this test: HELP and TYPE before a
    metric's samples, one TYPE per metric, well-formed names, labels and values."""
    assert text.endswith("\n")
    types, helped, samples = {}, set(), {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert name not in helped, line
            helped.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types and kind in ("gauge", "counter", "untyped"), line
            types[name] = kind
        else:
            found = SAMPLE.match(line)
            assert found, f"not a sample: {line!r}"
            name, labels, value = found.group(1), tuple(LABEL.findall(found.group(3) or "")), float(found.group(4))
            assert name in types and name in helped, f"{name} has no TYPE or HELP before it"
            assert (name, labels) not in samples, f"repeated: {line}"
            samples[(name, labels)] = value
    return samples


def test_prometheus_text_parses_and_agrees_with_the_json(seeded_now):
    client = seeded_now.test_client()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse_prometheus(response.get_data(as_text=True))
    figures = client.get("/health.json").get_json()["figures"]
    kiosk = ("kiosk", "kiosk-1")
    assert samples[("kiosk_health_overall", (kiosk,))] == 2
    number = {"green": 0, "amber": 1, "red": 2}
    for name, figure in figures.items():
        assert samples[("kiosk_health_verdict", (kiosk, ("figure", name)))] == number[figure["verdict"]]
    for state, count in {"queued": 1, "in_flight": 1, "retry_wait": 1}.items():
        assert samples[("kiosk_unsent_requests", (kiosk, ("state", state)))] == count
    assert samples[("kiosk_quarantined_requests", (kiosk,))] == 1
    assert samples[("kiosk_clock_offset_seconds", (kiosk,))] == 45.0
    assert samples[("kiosk_free_disk_bytes", (kiosk,))] > 0
    assert samples[("kiosk_service_up", (kiosk, ("service", "sync")))] == 0
    assert abs(samples[("kiosk_oldest_unsent_age_seconds", (kiosk,))] - 3 * 3600) < 60


def test_a_figure_without_a_value_has_no_sample(client):
    samples = parse_prometheus(client.get("/metrics").get_data(as_text=True))
    names = {name for name, _ in samples}
    assert "kiosk_oldest_unsent_age_seconds" not in names and "kiosk_last_success_age_seconds" not in names
    assert "kiosk_free_disk_bytes" in names


# --- the page, in three languages -----------------------------------------------------------------------

WORDS = {
    "en": {"title": "Kiosk health", "overall": "Something needs action now.", "amber": "Needs a look",
           "quarantined": "Refused by the county", "worker": "Not running", "button": "Sync now",
           "asked": "Sync now was asked, but the sync service is not running"},
    "zh_Hans_CN": {"title": "自助终端运行状况", "overall": "有情况需要马上处理。", "amber": "需要查看",
                   "quarantined": "县平台拒收", "worker": "没有运行", "button": "立即同步",
                   "asked": "已要求立即同步，但同步程序没有运行"},
    "zh_Hant_TW": {"title": "自助終端運行狀況", "overall": "有情況需要馬上處理。", "amber": "需要查看",
                   "quarantined": "縣平台拒收", "worker": "沒有運行", "button": "立即同步",
                   "asked": "已要求立即同步，但同步程式沒有運行"},
}


def _card(html: str, key: str) -> str:
    start = html.index(f'id="figure-{key}"')
    return html[start:html.index("</li>", start)]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_page_says_it_in_words_in_each_language(seeded_now, locale):
    client = worker_client(seeded_now)
    client.post("/language", data={"locale": locale, "next": "/worker/health"})
    response = client.get("/worker/health")
    assert response.status_code == 200
    html, words = response.get_data(as_text=True), WORDS[locale]
    assert f"<h1 class=\"page-heading\">{words['title']}</h1>" in html
    assert words["overall"] in html and 'health-verdict--red' in html and ">✗</span>" in html
    refused = _card(html, "quarantined")
    assert words["quarantined"] in refused and words["amber"] in refused and ">!</span>" in refused
    assert words["worker"] in _card(html, "sync_service")
    assert f'lang="en">{ERROR}</p>' in _card(html, "last_attempt")  # the engine's own words, marked English
    assert words["button"] in html and 'name="csrf_token"' in html
    assert "Needs a look" not in html or locale == "en"
    partial = client.get("/worker/health", headers={"HX-Request": "true", "HX-Target": "health-figures"})
    assert partial.get_data(as_text=True).lstrip().startswith('<div id="health-figures"')


def test_the_page_is_valid_html(seeded_now, tmp_path):
    from .html_check import nu_problems

    pages = {}
    client = worker_client(seeded_now)
    for locale in LOCALES:
        client.post("/language", data={"locale": locale, "next": "/"})
        client.post("/worker/health/sync-now")
        for name, response in (("asked", client.get("/worker/health")), ("page", client.get("/worker/health")),
                               ("refused", seeded_now.test_client().get("/health.json", environ_base={"REMOTE_ADDR": "10.0.0.7"},
                                                                        headers={"Accept-Language": locale.replace("_", "-")}))):
            pages[f"{locale}-{name}"] = response.get_data(as_text=True)
    problems = nu_problems(pages, tmp_path)
    assert not problems, "\n".join(problems)


# --- "Sync now" ------------------------------------------------------------------------------------------


def test_sync_now_leaves_the_request_and_says_so_once(app):
    client = worker_client(app)
    client.post("/language", data={"locale": "en", "next": "/"})
    response = client.post("/worker/health/sync-now")
    assert response.status_code == 302 and response.headers["Location"] == "/worker/health"
    asked = (app.instance_path + "/" + RUN_NOW_FILE)
    assert os.path.exists(asked)
    assert abs(datetime.fromisoformat(open(asked).read()) - datetime.now(timezone.utc)) < timedelta(seconds=30)
    page = client.get("/worker/health").get_data(as_text=True)
    assert WORDS["en"]["asked"] in page and 'role="status"' in page
    assert "has not started yet" in _card(page, "sync_service")
    assert WORDS["en"]["asked"] not in client.get("/worker/health").get_data(as_text=True)  # said once


def test_sync_now_needs_the_form_token(tmp_path, monkeypatch):
    from kiosk import create_app

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True})  # CSRF on, as served
    client = worker_client(app)
    assert client.post("/worker/health/sync-now").status_code == 400
    assert not (tmp_path / "instance" / RUN_NOW_FILE).exists()
    page = client.get("/worker/health").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/worker/health/sync-now", data={"csrf_token": token}).status_code == 302
    assert (tmp_path / "instance" / RUN_NOW_FILE).exists()


@pytest.mark.slow
def test_sync_now_makes_a_running_worker_sync_at_once(app, county):
    """A real worker process that would not look at the county again for ten minutes: "Sync now" asked
    before it starts is honoured when it starts; asked while it waits, it wakes the worker, which sends
    a request just saved within seconds, as a manual run (backoff ignored), and uses the request up."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}, "KIOSK_INSTANCE_PATH": app.instance_path,
           "KIOSK_COUNTY_URL": county.url, "KIOSK_SYNC_PROBE_SECONDS": "600", "KIOSK_SYNC_STATUS_SECONDS": "600"}
    client = worker_client(app)
    asked = f"{app.instance_path}/{RUN_NOW_FILE}"

    def triggers() -> list[str]:
        with app.app_context():
            return [row[0] for row in get_db().execute("SELECT trigger FROM sync_runs WHERE finished_at IS NOT NULL")]

    def wait_for(condition, seconds: float) -> float:
        start = time.monotonic()
        while not condition() and time.monotonic() - start < seconds:
            time.sleep(0.05)
        assert condition()
        return time.monotonic() - start

    assert client.post("/worker/health/sync-now").status_code == 302  # while no worker runs: it waits for one
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "kiosk", "sync", "run"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: triggers() == ["manual"], 30)  # its first decision; then it waits ten minutes
        assert not os.path.exists(asked) and lock_holder(f"{app.instance_path}/sync.lock") == worker.pid
        with app.app_context():
            _, draft = resident.start_draft(get_db(), "repairs", "en")
            draft.answers, draft.personal = {"what": "light", "where": "3号楼", "danger": "no"}, {"contact": "centre"}
            saved = resident.save_request(get_db(), draft, "kiosk-test")
        assert client.post("/worker/health/sync-now").status_code == 302
        page = client.get("/worker/health", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "The sync service was asked to sync now." in page

        def accepted() -> bool:
            with app.app_context():
                return outbox.current_state(get_db(), saved.id) == outbox.ACCEPTED

        took = wait_for(accepted, 10)
        wait_for(lambda: triggers() == ["manual", "manual"], 10)  # the run goes on to ask for status news
        assert not os.path.exists(asked)
        assert [uuid for _, uuid, _ in county.requests()] == [saved.uuid]
        print(f"sent {took:.1f} s after Sync now")
    finally:
        worker.terminate()
        worker.wait(timeout=10)


# --- who may look ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/health.json", "/metrics"])
def test_a_monitor_on_the_box_or_a_logged_in_worker_may_read_the_figures(app, url):
    client = app.test_client()
    for address in ("192.168.1.5", "10.0.0.7", "::ffff:192.168.1.5", "fe80::1"):
        refused = client.get(url, environ_base={"REMOTE_ADDR": address}, headers={"Accept-Language": "en"})
        assert refused.status_code == 403, address
        text = refused.get_data(as_text=True)
        assert "It can only be opened on the kiosk itself." in text and "kiosk-1" not in text and "figure" not in text
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert client.get(url, environ_base={"REMOTE_ADDR": address}).status_code == 200, address
    phone = worker_client(app)  # a worker's phone on the Wi-Fi (the login is bound to its address)
    phone_address = {"REMOTE_ADDR": "127.0.0.1"}
    assert phone.get(url, environ_base=phone_address).status_code == 200


def test_the_page_and_sync_now_are_for_logged_in_workers_only(app):
    anonymous = app.test_client()
    for address in ("127.0.0.1", "192.168.1.5"):
        page = anonymous.get("/worker/health", environ_base={"REMOTE_ADDR": address})
        assert page.status_code == 302 and page.headers["Location"].startswith("/worker/login")
        asked = anonymous.post("/worker/health/sync-now", environ_base={"REMOTE_ADDR": address})
        assert asked.status_code == 302 and not os.path.exists(f"{app.instance_path}/{RUN_NOW_FILE}")
    assert worker_client(app).get("/worker/health").status_code == 200


def test_each_health_view_has_its_guard(app):
    from kiosk import health_views

    guarded = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("health.")}
    assert guarded == {"health.page", "health.sync_now", "health.as_json", "health.metrics"}
    for endpoint in ("health.page", "health.sync_now"):
        assert getattr(app.view_functions[endpoint], "worker_role", None) == "worker", endpoint
    for endpoint in ("health.as_json", "health.metrics"):
        assert app.view_functions[endpoint].__code__ is health_views.monitor_allowed(lambda: None).__code__, endpoint


# --- in Chromium: phone and kiosk sizes, three languages, axe --------------------------------------------


@pytest.fixture(scope="module")
def health_kiosk(tmp_path_factory):
    """A live kiosk with the seeded states (amber and red cards, an English error), and no sync service."""
    from kiosk import create_app

    live = LiveKiosk(tmp_path_factory.mktemp("health") / "instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIOSK_INSTANCE_PATH", str(live.instance))
        app = create_app({"TESTING": True})
        with app.app_context():
            seed(get_db(), datetime.now(timezone.utc), patch)
        add_accounts(app)
    live.start()
    yield live
    live.stop()


@pytest.mark.browser
@pytest.mark.parametrize("size", [PHONE_SIZE, KIOSK_SIZE], ids=["phone", "kiosk"])
@pytest.mark.parametrize("locale", LOCALES)
def test_the_page_is_accessible(browser, health_kiosk, locale, size):
    from .browser import Resident
    from .test_accessibility import Auditor

    context = browser.new_context(viewport=size, bypass_csp=True)  # CSP would block injecting axe
    page = context.new_page()
    resident = Resident(page, health_kiosk.url, js=True)
    audit = Auditor(resident, 28 if size is KIOSK_SIZE else 24)
    try:
        resident.open("/worker/login")
        page.locator("#login").fill("alice")
        page.locator("#password").fill(PASSWORDS["alice"])
        resident.tap(page.locator("main form button.button--primary"))
        resident.open("/worker/health")
        resident.choose_language(locale)
        assert page.locator("h1").inner_text() == WORDS[locale]["title"]
        audit("health")
        resident.tap(page.locator("form.health-sync button"), expect_new_page=False)
        page.wait_for_selector(".health-asked")
        assert WORDS[locale]["asked"] in page.locator(".health-asked").inner_text()
        audit("health, sync asked")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than the screen"
    finally:
        context.close()
    assert audit.pages == 2
    assert not audit.problems, "\n".join(audit.problems)
