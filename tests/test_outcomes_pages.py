"""The outcomes pages (kiosk/outcomes_views.py) on the seeded histories of tests/test_outcomes.py: the
wall's large-print summary (public, nothing personal), the workers' page with its range and how each
figure is counted, the exports (CSV and Open311-shaped JSON, personal details only for an
administrator who asks, and then said so), bad ranges, who may open what; valid HTML."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone

import pytest

from core import audit
from core.actions import resident
from kiosk.db import get_db

from .html_check import nu_problems
from .test_outcomes import seed
from .worker_helpers import add_accounts, log_in

ZH, EN = {"Accept-Language": "zh-CN"}, {"Accept-Language": "en"}
NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def in_november(app):
    with app.app_context():  # seeded, then left: each request below gets its own context, as when served
        seed(get_db())
    app.config["CLOCK"] = lambda: datetime(2026, 11, 30, 12, tzinfo=timezone.utc)  # the last 30 days: 1–30 November
    add_accounts(app)
    return app


def test_the_wall_shows_the_figures_with_their_counts_and_nothing_personal(in_november):
    page = in_november.test_client().get("/outcomes", headers=ZH).get_data(as_text=True)
    assert "2026年11月1日" in page and "2026年11月30日" in page
    for shown in ("收到的诉求", "满意程度：4 个评价", "半数请求在8小时内办完", "九成请求在3天内确认解决"):
        assert shown in page, shown
    for personal in ("13800138000", "李四", "alice", "王芳"):
        assert personal not in page
    english = in_november.test_client().get("/outcomes", headers={"Accept-Language": "en"}).get_data(as_text=True)
    tiles = re.findall(r'<span class="wall__number">(\d+)</span> <span class="wall__tile-label">([^<]+)</span>', english)
    assert tiles == [("7", "Requests received"), ("4", "Finished by the county"), ("2", "Confirmed solved by the resident"),
                     ("2", "Sent back as not solved")]
    ratings = re.findall(r'<span class="wall__bar-label">([^<]+)</span>\s*<svg[^>]*>.*?</svg>\s*<span class="wall__bar-value">(\d+)</span>', english)
    assert ratings == [("Very satisfied", "1"), ("Satisfied", "0"), ("Fairly satisfied", "1"), ("Dissatisfied", "1"),
                       ("Very dissatisfied", "1")]
    assert "Half of requests finished within 8 hours" in english and "Nine in ten finished within 2 days" in english
    assert "Asked again for the same service" not in english  # the wall leaves out what needs a worker's eye


def test_the_workers_page_takes_a_range_and_refuses_a_bad_one_politely(in_november):
    alice = in_november.test_client()
    log_in(alice, "alice")
    page = alice.get("/worker/outcomes", query_string=NOVEMBER, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 (among 5 requests whose details are still kept)" in page
    assert "typed by residents 22, reused from an earlier request 1, with a worker 3" in page
    october = alice.get("/worker/outcomes", query_string={"start": "2026-10-01", "end": "2026-10-31"},
                        headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Of 1 requests received, the county finished 1" in october  # F
    for bad, words in ((("2026-13-01", "2026-11-30"), "year-month-day"), (("2026-11-30", "2026-11-01"), "must not be after"),
                       (("2020-01-01", "2026-11-30"), "at most three years")):
        answer = alice.get("/worker/outcomes", query_string={"start": bad[0], "end": bad[1]}, headers={"Accept-Language": "en"})
        text = answer.get_data(as_text=True)
        assert answer.status_code == 422 and words in text and "error-summary" in text
        assert f'value="{bad[0]}"' in text  # what was typed stays


def test_the_exports_leave_personal_details_out_unless_an_administrator_asks(in_november):
    alice, root = in_november.test_client(), in_november.test_client()
    log_in(alice, "alice")
    log_in(root, "root")
    plain = alice.get("/worker/outcomes.csv", query_string=NOVEMBER, headers=EN).get_data(as_text=True).lstrip("\ufeff")
    assert plain.startswith("# No personal details.")
    rows = list(csv.DictReader(io.StringIO(plain.split("\n", 1)[1])))
    assert len(rows) == 10 and "phone" not in rows[0] and "13800138000" not in plain  # 7 problems + 3 reopens
    first = rows[0]
    assert (first["service_request_id"], first["status"], first["resident_solved"], first["resident_rating"]) == ("C1", "closed", "yes", "5")
    assert [r["reopens_ticket"] for r in rows if r["reopens_ticket"]] == ["A0002", "A0003", "A0006"]  # B2, B3, D2
    assert alice.get("/worker/outcomes.csv", query_string={**NOVEMBER, "personal": "1"}).status_code == 403
    full = root.get("/worker/outcomes.csv", query_string={**NOVEMBER, "personal": "1"}, headers=EN).get_data(as_text=True)
    assert "Includes personal details" in full.split("\n", 1)[0] and "13800138000" in full
    shaped = json.loads(alice.get("/worker/outcomes.json", query_string=NOVEMBER).get_data(as_text=True))
    assert shaped["personal_details_included"] is False and shaped["summary"]["received"] == 7
    assert shaped["summary"]["satisfaction"] == {"n": 4, "5": 1, "4": 0, "3": 1, "2": 1, "1": 1}
    one = shaped["requests"][0]
    assert one["service_request_id"] == "C1" and one["status"] == "closed" and one["attributes"]["resident_rating"] == 5
    assert "phone" not in one["attributes"]
    assert alice.get("/worker/outcomes.json", query_string={"start": "x"}).status_code == 422
    with in_november.app_context():
        exported = [e.detail for e in audit.every(get_db()) if e.action == "outcomes.exported"]
    assert {"format": "csv", "rows": 10, "personal": 1} in exported and len(exported) == 3


def test_only_workers_open_the_workers_page_and_the_exports(in_november):
    resident = in_november.test_client()
    for path in ("/worker/outcomes", "/worker/outcomes.csv", "/worker/outcomes.json"):
        answer = resident.get(path)
        assert answer.status_code == 302 and "/worker/login" in answer.headers["Location"], path


def test_the_outcomes_pages_are_valid_html(in_november, tmp_path):
    alice = in_november.test_client()
    log_in(alice, "alice")
    pages = {}
    for locale, header in (("zh_Hans_CN", "zh-CN"), ("zh_Hant_TW", "zh-TW"), ("en", "en")):
        pages[f"wall-{locale}"] = in_november.test_client().get("/outcomes", headers={"Accept-Language": header}).get_data(as_text=True)
        pages[f"page-{locale}"] = alice.get("/worker/outcomes", headers={"Accept-Language": header}).get_data(as_text=True)
        pages[f"error-{locale}"] = alice.get("/worker/outcomes?start=x", headers={"Accept-Language": header}).get_data(as_text=True)
    problems = nu_problems(pages, tmp_path)
    assert not problems, "\n".join(problems)


def test_a_cell_that_looks_like_a_formula_is_written_as_text(in_november):
    from core import drafts, submissions

    with in_november.app_context():
        db = get_db()
        _, draft = resident.start_draft(db, "pension-cert", "zh_Hans_CN")
        draft.answers, draft.personal = {"who": "self", "how": "centre"}, {"name": '=HYPERLINK("http://x","y")', "contact": "centre"}
        saved = resident.save_request(db, draft, "kiosk-1")
        db.execute("UPDATE requests SET requested_at = '2026-11-20T00:00:00+00:00' WHERE id = ?", [saved.id])
        db.conn.commit()
    root = in_november.test_client()
    log_in(root, "root")
    full = root.get("/worker/outcomes.csv", query_string={**NOVEMBER, "personal": "1"}, headers=EN).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(full.lstrip("\ufeff").split("\n", 1)[1])))
    assert [r["name"] for r in rows if "HYPERLINK" in r["name"]] == ["'=HYPERLINK(\"http://x\",\"y\")"]
