"""What a resident typed never sits in a browser's disk cache (issue 19, item 5): every answer the
kiosk makes — pages, partials, JSON, audio, downloads, redirects, errors — is ``Cache-Control:
no-store``; only static files and the pre-rendered speech prompts (named by their content, nothing
personal) are cached. Flask test client, real app, real SQLite, real pinyin index and recogniser."""
from __future__ import annotations

from .flows import fill_service
from .worker_helpers import add_accounts, log_in

#: Answers allowed another rule, and why: the worker's chime is one fixed sound, the same for everyone.
CACHED_ON_PURPOSE = {"worker.chime"}
SAMPLE_ARGUMENTS = {"code": "what", "ticket": "A0001", "key": "0" * 64, "filename": "css/kiosk.css",
                    "call_id": 1, "request_id": 1, "event_id": 1, "answer_id": 1, "note_id": 1, "media_id": 1,
                    "token": "x" * 43}
TYPED = "王秀兰幸福路"


def no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_answers_carrying_typed_text_are_no_store(client):
    client.post("/services/repairs")
    pinyin = client.get(f"/keyboard/pinyin?letters=xingfu&before={TYPED}&expect=service:repairs")
    writing = client.post("/keyboard/handwriting", json={"strokes": [[[100, 500], [900, 500]], [[500, 100], [500, 900]]],
                                                         "before": TYPED, "expect": "service:repairs"})
    said = client.get("/keyboard/say?text=王秀兰")
    assert pinyin.mimetype == writing.mimetype == "application/json" and pinyin.status_code == writing.status_code == 200
    assert said.status_code == 200 and said.mimetype.startswith("audio/")
    for answer in (pinyin, writing, said):
        assert no_store(answer), (answer.request.path, answer.headers)


def test_every_answer_but_static_files_is_no_store(app, client):
    """Every route of the app, every method, as a resident mid-request and as a logged-in administrator."""
    add_accounts(app)
    assert log_in(client, "root").status_code == 302
    with app.app_context():
        from core.catalogue import get_service
        from kiosk.db import get_db
        repairs = get_service(get_db(), "repairs", "zh_Hans_CN")
    fill_service(client, repairs)
    ending = ("resident.start", "resident.end_visit", "resident.receipt_done", "worker.logout")  # at the kiosk: last
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.endpoint in ending)
    seen, statuses = [], {}
    for method in ("GET", "POST"):  # pages first; the POSTs may end the visit and the login
        for rule in rules:
            if method not in rule.methods:
                continue
            arguments = {name: SAMPLE_ARGUMENTS[name] for name in rule.arguments}
            if rule.endpoint == "resident.service":
                arguments["code"] = "repairs"
            url = rule.build(arguments, append_unknown=False)[1]
            answer = client.open(url, method=method, data={} if method == "POST" else None)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            if rule.endpoint in CACHED_ON_PURPOSE and answer.status_code == 200:
                continue
            seen.append(f"{method} {url}")
            assert answer.status_code < 500, (method, url, answer.status_code)
            assert no_store(answer), (method, url, answer.status_code, answer.headers.get("Cache-Control"))
    assert len(seen) > 70 and statuses.get(200, 0) > 25, statuses  # most routes really answered, not just refused
    static = client.get("/static/css/kiosk.css")
    assert static.status_code == 200 and not no_store(static)  # static files stay cached
