"""When SQLite cannot write, the resident is told plainly it was NOT saved, and keeps the answers."""
import sqlite3

import pytest

from core.catalogue import get_service
from kiosk.db import database_path, get_db

from .flows import confirm, fill_service


@pytest.fixture
def ready_to_confirm(app, client):
    """A finished repairs draft waiting on the check page, in English."""
    client.post("/language", data={"locale": "en"})
    with app.app_context():
        fill_service(client, get_service(get_db(), "repairs", "en"))
    return client


def count_requests(app) -> int:
    return sqlite3.connect(database_path(app)).execute("SELECT COUNT(*) FROM requests").fetchone()[0]


def assert_not_saved_then_recovers(app, client, response):
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Not saved – please ask a worker" in page and "It has NOT been sent." in page
    assert "Your request is saved" not in page
    assert count_requests(app) == 0
    assert "3号楼2单元 楼道" in client.get("/request/check").get_data(as_text=True)  # answers still there


def test_database_locked_by_another_writer(app, ready_to_confirm):
    app.config["DB_BUSY_TIMEOUT"] = 0.2
    other = sqlite3.connect(database_path(app), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        response = ready_to_confirm.post("/request/check")
        assert_not_saved_then_recovers(app, ready_to_confirm, response)
    finally:
        other.execute("ROLLBACK")
    confirm(ready_to_confirm)  # and once the lock is gone, the same answers save
    assert count_requests(app) == 1


def test_disk_full(app, client):
    """Cap the file at its current size, then keep saving: when space runs out, the page says so."""
    client.post("/language", data={"locale": "en"})
    app.config["DB_MAX_PAGES"] = sqlite3.connect(database_path(app)).execute("PRAGMA page_count").fetchone()[0]
    receipts = 0
    for _ in range(200):  # bounded: each save adds rows until a new page is needed
        steps = [("/services/feedback", {}), ("/request/questions/kind", {"answer": "suggestion"}),
                 ("/request/questions/about", {"answer": "other"}),
                 ("/request/questions/message", {"answer": "请在楼下多放几张长椅。" * 20}),
                 ("/request/contact", {"contact": "none"}), ("/request/check", {})]
        for path, data in steps:
            response = client.post(path, data=data)
            if response.status_code != 302:
                break
        if response.status_code != 302:
            break
        receipts += 1
        client.post("/receipt/done")  # the next resident...
        client.post("/language", data={"locale": "en"})
    else:
        pytest.fail("the database never filled up")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Not saved – please ask a worker" in page and "Your request is saved" not in page
    assert count_requests(app) == receipts  # every receipt shown is a saved request, and nothing more
    app.config["DB_MAX_PAGES"] = 0
    assert client.get("/", follow_redirects=True).status_code == 200  # the unsaved visit ends at the start page


def test_read_only_database(app, ready_to_confirm):
    app.config["DB_READ_ONLY"] = True
    response = ready_to_confirm.post("/request/check")
    app.config["DB_READ_ONLY"] = False
    assert_not_saved_then_recovers(app, ready_to_confirm, response)


def test_read_only_while_answering_says_so_too(app, client):
    client.post("/language", data={"locale": "zh_Hans_CN"})
    client.post("/services/repairs")
    app.config["DB_READ_ONLY"] = True
    response = client.post("/request/questions/what", data={"answer": "lift"})
    assert response.status_code == 503
    assert "没有保存成功，请找工作人员" in response.get_data(as_text=True)
