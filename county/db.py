"""The county's own SQLite file: its catalogue, the requests it holds, its clerks and their failed logins."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from flask import Flask, current_app, g

SCHEMA = """
CREATE TABLE IF NOT EXISTS services (
    service_code TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    definition TEXT NOT NULL            -- JSON: Open311 service entry plus its attributes
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    service_request_id TEXT UNIQUE,
    token TEXT UNIQUE,
    kiosk_uuid TEXT UNIQUE,
    content_hash TEXT,
    service_code TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    address_string TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    attributes TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'open',
    status_notes TEXT NOT NULL DEFAULT '',
    agency_responsible TEXT NOT NULL DEFAULT '',
    requested_datetime TEXT NOT NULL,
    updated_datetime TEXT NOT NULL,
    api_key TEXT NOT NULL DEFAULT '',
    duplicate_posts INTEGER NOT NULL DEFAULT 0   -- the same request posted again (answered with its id)
);
CREATE TABLE IF NOT EXISTS clerks (             -- owned by county/accounts.py
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,                -- Werkzeug scrypt, never the password
    active INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (     -- owned by county/accounts.py: throttling wrong passwords
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    at REAL NOT NULL                            -- Unix time
);
CREATE INDEX IF NOT EXISTS login_failures_by_name ON login_failures (name, at);
CREATE INDEX IF NOT EXISTS login_failures_by_address ON login_failures (address, at);
"""


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def get_db() -> sqlite3.Connection:
    if "county_db" not in g:
        g.county_db = connect(current_app.config["DATABASE"])
    return g.county_db


def close_db(exc=None) -> None:
    conn = g.pop("county_db", None)
    if conn is not None:
        conn.close()


def load_catalogue(conn: sqlite3.Connection, path: str) -> int:
    services = json.loads(Path(path).read_text(encoding="utf-8"))["services"]
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM services")
    conn.executemany(
        "INSERT INTO services (service_code, position, definition) VALUES (?, ?, ?)",
        [(s["service_code"], i, json.dumps(s, ensure_ascii=False)) for i, s in enumerate(services)],
    )
    conn.execute("COMMIT")
    return len(services)


def init_app(app: Flask) -> None:
    conn = connect(app.config["DATABASE"])
    conn.executescript(SCHEMA)
    # The catalogue file is the county's configuration: read at every start, so a changed file (a
    # service newly marked private, say) is what the county serves, also on an old database.
    load_catalogue(conn, app.config["CATALOGUE"])
    conn.close()
    app.teardown_appcontext(close_db)
