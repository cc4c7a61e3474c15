"""Shared fixtures: an app on a real SQLite file, its client and CLI runner, a live kiosk server on
127.0.0.1 and a real headless Chromium (Debian's, never a downloaded one).

The reference county runs on SQLite unless a test asks for both of its databases with
``@pytest.mark.county_backends`` (or a module's ``pytestmark``): then it runs once on SQLite and once
on a real PostgreSQL (Debian's, started once per session on a Unix socket, a fresh schema per test),
through ``county_app``, ``county`` and ``county_database_url``."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import create_app
from core import addresses
from core.actions.admin import load_address_book
from core.catalogue import DEMO_FILE
from core.actions.admin import load_catalogue
from kiosk.db import get_db

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
KIOSK_SIZE = {"width": 1080, "height": 1920}
PHONE_SIZE = {"width": 375, "height": 667}
LOCALES = ("zh_Hans_CN", "zh_Hant_TW", "en")


@pytest.fixture(autouse=True)
def _clean_kiosk_environment(monkeypatch):
    """Tests never see the developer's own ``KIOSK_*`` settings."""
    for name in list(os.environ):
        if name.startswith("KIOSK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The kiosk on a fresh SQLite file with the demo catalogue and its address book; CSRF off for the test client."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        load_catalogue(get_db(), json.loads(DEMO_FILE.read_text(encoding="utf-8")))
        load_address_book(get_db(), addresses.DEMO_FILE.read_bytes())
    return app


@pytest.fixture
def client(app):
    return app.test_client()


COUNTY_BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    """Tests marked ``county_backends`` run on each of the county's databases (ids ``[sqlite]``, ``[postgresql]``)."""
    if metafunc.definition.get_closest_marker("county_backends") and "county_backend" in metafunc.fixturenames:
        metafunc.parametrize("county_backend", COUNTY_BACKENDS, indirect=True)


@pytest.fixture
def county_backend(request) -> str:
    """The county's database for this test: SQLite unless the test is marked ``county_backends``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres():
    """Debian's PostgreSQL for this session only (tests/postgres.py): started at first use, stopped at the end."""
    from .postgres import LocalPostgres

    server = LocalPostgres().start()
    yield server
    server.stop()


@pytest.fixture
def county_database_url(county_backend, request) -> str | None:
    """``COUNTY_DATABASE_URL`` for this test's county: None (its SQLite file), or a fresh PostgreSQL schema."""
    if county_backend == "sqlite":
        return None
    return request.getfixturevalue("postgres").create_schema()


@pytest.fixture
def county_app(tmp_path, monkeypatch, county_database_url):
    """The reference county in this process on a fresh database (SQLite, or PostgreSQL where the test is
    marked ``county_backends``): demo mode, CSRF on, as it is served."""
    from county import create_app as create_county
    from county.db import close_database

    for name in list(os.environ):
        if name.startswith("COUNTY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COUNTY_INSTANCE_PATH", str(tmp_path / "county"))
    if county_database_url:
        monkeypatch.setenv("COUNTY_DATABASE_URL", county_database_url)
    app = create_county({"TESTING": True, "DEMO": True, "STRICT": os.environ.get(STRICT_ENV) or None})
    yield app
    close_database(app)  # its pooled PostgreSQL connections


# Every county the tests start runs in strict mode (county/strict.py) when this is set, e.g.
# ``TEST_COUNTY_STRICT=1 pytest tests/test_sync.py``, to measure the kiosk against an independent county.
STRICT_ENV = "TEST_COUNTY_STRICT"


def county_query(config, sql: str, params=()) -> list:
    """Rows of a query on a county's own database (``config``: an app's config, or a LiveCounty's), either kind."""
    from county.db import connect

    conn = connect(config)
    try:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A server of this project in its own process on 127.0.0.1: started, waited for, stopped."""

    module = ""
    args: tuple[str, ...] = ()
    instance: Path
    port: int
    env: dict
    process: subprocess.Popen | None = None

    def start(self):
        # The server's output goes to a file: a pipe nobody reads fills up and blocks the server.
        self.instance.mkdir(parents=True, exist_ok=True)
        self.log = self.instance / "server.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", self.module, "--port", str(self.port), *self.args],
                                            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(200):  # up to 20 s
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited: " + self.log.read_text(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.module} did not start")

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(timeout=10)


class LiveKiosk(LiveServer):
    """The real kiosk (waitress) in its own process on 127.0.0.1, on its own database.

    With the demo catalogue; with the demo address book only when asked (``address_book=True``):
    the shared browser walk-throughs write their addresses, as a centre without a book does.
    """

    module = "kiosk.serve"

    def __init__(self, instance: Path, address_book: bool = False, **env: str):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Shared servers see many tests' wrong look-ups and Starts (and bench/run_all.py a load of them):
        # limits are tested on their own (test_web_surface, test_guessing, test_draft_floods).
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
                    "KIOSK_INSTANCE_PATH": str(instance), "KIOSK_LOOKUP_LIMIT": "1000 per hour",
                    "KIOSK_SCREEN_LOOKUP_LIMIT": "1000 per hour",
                    "KIOSK_TICKET_LOOKUP_LIMIT": "1000 per hour",
                    "KIOSK_PHONE_LOOKUP_LIMIT": "1000 per hour", "KIOSK_DRAFT_LIMIT": "100000 per minute",
                    "KIOSK_SCREEN_DRAFT_LIMIT": "100000 per minute", **env}
        subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "catalogue", "load"], env=self.env,
                       cwd=ROOT, check=True, capture_output=True)
        if address_book:
            subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "addresses", "load"], env=self.env,
                           cwd=ROOT, check=True, capture_output=True)

    @property
    def database(self) -> Path:
        return self.instance / "kiosk.sqlite3"


class LiveCounty(LiveServer):
    """The reference county server in its own process on 127.0.0.1, with faults chosen per run.

    In demo mode (``--demo``, as ``make run`` starts it) unless told otherwise: only then does it
    accept the kiosk's shipped key, which the tests' kiosks use. ``strict``: its strict-mode flags
    (``"1"``: all; ``""``: none); unset, what ``TEST_COUNTY_STRICT`` says (none by default).
    """

    module = "county.serve"

    def __init__(self, instance: Path, faults: dict | None = None, api_keys: str = "demo-kiosk-key", port: int | None = None,
                 demo: bool = True, database_url: str | None = None, strict: str | None = None, **env: str):
        self.instance = instance
        self.args = ("--demo",) if demo else ()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "COUNTY_"))},
                    "COUNTY_INSTANCE_PATH": str(instance), "COUNTY_FAULTS": json.dumps(faults or {}),
                    "COUNTY_API_KEYS": api_keys, **({"COUNTY_DATABASE_URL": database_url} if database_url else {}),
                    "COUNTY_STRICT": os.environ.get(STRICT_ENV, "") if strict is None else strict, **env}

    @property
    def database(self) -> Path:
        """The SQLite file (on PostgreSQL, ask :meth:`query` instead)."""
        assert not self.database_url, "this county is on PostgreSQL: use county.query(...)"
        return self.instance / "county.sqlite3"

    @property
    def config(self) -> dict:
        return {"DATABASE": str(self.instance / "county.sqlite3"), "DATABASE_URL": self.database_url}

    def query(self, sql: str, params=()) -> list:
        """Rows of a query on this county's database, SQLite or PostgreSQL (``?`` placeholders on both)."""
        return county_query(self.config, sql, params)

    def start(self, faults: dict | None = None) -> "LiveCounty":
        if faults is not None:
            self.env["COUNTY_FAULTS"] = json.dumps(faults)
        return super().start()

    def requests(self) -> list[tuple]:
        """(service_request_id, kiosk_uuid, status) of every request the county holds (the UUID from its
        attributes where a strict county keeps no de-duplication column)."""
        rows = self.query("SELECT service_request_id, kiosk_uuid, status, attributes FROM requests ORDER BY id")
        return [(r[0], r[1] or json.loads(r[3] or "{}").get("kiosk_uuid"), r[2]) for r in rows]

    def add_clerk(self, name: str = "clerk-1") -> str:
        """Add a clerk with ``flask --app county clerk add NAME --generate``; return the password it printed."""
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "county", "clerk", "add", name, "--generate"],
                              env=self.env, cwd=ROOT, check=True, capture_output=True, text=True)
        return done.stdout.rsplit("password: ", 1)[1].strip()

    def clerk_session(self, name: str, password: str):
        """A ``requests`` session logged in at the clerk page, the way a browser does it (CSRF token included)."""
        import re

        import requests

        browser = requests.Session()
        page = browser.get(self.url + "/clerk/login", timeout=5).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = browser.post(self.url + "/clerk/login", data={"csrf_token": token, "name": name, "password": password},
                              timeout=5, allow_redirects=False)
        assert answer.status_code == 302, answer.text
        return browser

    def duplicate_posts(self) -> int:
        """How many times a request the county already held was posted again."""
        return int(self.query("SELECT COALESCE(SUM(duplicate_posts), 0) FROM requests")[0][0])


@pytest.fixture
def county_strict(request) -> str | None:
    """The strict-mode flags of ``county`` (``"1"``: all): parametrize it indirectly to run a test
    against both modes; by default what ``TEST_COUNTY_STRICT`` says (none)."""
    return getattr(request, "param", None)


@pytest.fixture
def county(tmp_path, county_database_url, county_strict):
    """A healthy county (on PostgreSQL too where the test is marked ``county_backends``); tests that
    want faults start their own ``LiveCounty`` with ``database_url=county_database_url``."""
    server = LiveCounty(tmp_path / "county", database_url=county_database_url, strict=county_strict).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_kiosk(tmp_path_factory):
    kiosk = LiveKiosk(tmp_path_factory.mktemp("live") / "instance").start()
    yield kiosk
    kiosk.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
