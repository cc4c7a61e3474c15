"""Every worker page refuses whoever may not see it, checked from the app's URL map: a worker route
added without a guard (or an administrator's page with only the worker's guard) fails here.

Whoever is refused gets the login page (anonymous, a resident's kiosk session) or a polite 403 (a
worker on an administrator's page) — never the page itself.
"""
from __future__ import annotations

import re

import pytest

from kiosk import create_app
from kiosk.worker.auth import worker_required

from .worker_helpers import add_accounts, log_in

EXEMPT = {"worker.login", "worker.static"}   # the login page itself
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def worker_rules(app):
    """Every rule of the worker blueprint, or under /worker/ by any other way, but the login page."""
    return [rule for rule in app.url_map.iter_rules()
            if (rule.endpoint.startswith("worker.") or rule.rule.startswith("/worker")) and rule.endpoint not in EXEMPT]


def path_of(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", rule.rule)


def role_of(app, rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "worker_role", None)


def refused_to_log_in(response) -> bool:
    return response.status_code in (302, 303) and response.headers["Location"].startswith("/worker/login")


def problems(app, client, who: str, only_admin: bool = False) -> tuple[list[str], int]:
    """(what was not refused, how many requests were tried). ``only_admin``: only the administrator's
    pages, which must give 403."""
    found, tried = [], 0
    for rule in worker_rules(app):
        if only_admin and role_of(app, rule) != "admin":
            continue
        for method in sorted(set(rule.methods) & set(METHODS)):
            response = client.open(path_of(rule), method=method)
            tried += 1
            ok = response.status_code == 403 if only_admin else refused_to_log_in(response)
            if not ok:
                found.append(f"{method} {rule.rule} ({rule.endpoint}) answered {who} with {response.status_code}")
    return found, tried


def resident_with_a_draft(app):
    client = app.test_client()
    client.post("/language", data={"locale": "zh_Hant_TW"})
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    assert client.get_cookie("kiosk_draft") is not None
    return client


def test_the_worker_pages_are_all_found_and_all_guarded(app):
    rules = {rule.endpoint: role_of(app, rule) for rule in worker_rules(app)}
    assert {"worker.home", "worker.logout", "worker.audit_log", "worker.audit_export"} <= set(rules)
    unguarded = [endpoint for endpoint, role in rules.items() if role not in ("worker", "admin")]
    assert not unguarded, f"worker views without worker_required or admin_required: {unguarded}"
    assert rules["worker.audit_log"] == rules["worker.audit_export"] == "admin"


def test_anonymous_clients_are_sent_to_the_login_page(app):
    found, tried = problems(app, app.test_client(), "an anonymous client")
    assert tried >= 4 and not found, "\n".join(found)


def test_a_residents_kiosk_session_is_sent_to_the_login_page(app):
    found, tried = problems(app, resident_with_a_draft(app), "a resident's session")
    assert tried >= 4 and not found, "\n".join(found)


def test_a_worker_is_refused_every_administrators_page(app):
    add_accounts(app)
    client = app.test_client()
    log_in(client, "alice")
    found, tried = problems(app, client, "a worker", only_admin=True)
    assert tried >= 2 and not found, "\n".join(found)


@pytest.fixture
def copy_of_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "copy"))
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})


def test_the_check_catches_a_worker_page_added_without_a_guard(copy_of_the_app):
    app = copy_of_the_app
    app.add_url_rule("/worker/forgotten", endpoint="worker.forgotten", view_func=lambda: "every resident's phone number")
    app.add_url_rule("/worker/also/<int:request_id>", endpoint="elsewhere.also", methods=["POST"],
                     view_func=lambda request_id: "done")
    found, _ = problems(app, app.test_client(), "an anonymous client")
    assert sorted(found) == ["GET /worker/forgotten (worker.forgotten) answered an anonymous client with 200",
                             "POST /worker/also/<int:request_id> (elsewhere.also) answered an anonymous client with 200"]
    with pytest.raises(AssertionError, match="worker.forgotten"):
        test_the_worker_pages_are_all_found_and_all_guarded(app)


def test_the_check_catches_an_administrators_page_with_only_the_workers_guard(copy_of_the_app):
    app = copy_of_the_app
    view = worker_required(lambda: "the audit log")
    view.worker_role = "admin"   # it says it is an administrator's page, but only asks for a worker
    app.add_url_rule("/worker/secrets", endpoint="worker.secrets", view_func=view)
    add_accounts(app)
    client = app.test_client()
    log_in(client, "alice")
    found, _ = problems(app, client, "a worker", only_admin=True)
    assert found == ["GET /worker/secrets (worker.secrets) answered a worker with 200"]
