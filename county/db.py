"""The county's own database: its catalogue, the requests it holds, the updates posted about them, its clerks, their sessions and failed logins.

A SQLite file in the instance folder unless ``COUNTY_DATABASE_URL`` names a PostgreSQL database;
:mod:`county.sql` keeps the two apart, so the schema here and every query elsewhere are written once.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, current_app, g

from . import sql

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
CREATE TABLE IF NOT EXISTS request_updates (    -- FixMyStreet's update extension: POST/GET servicerequestupdates
    id INTEGER PRIMARY KEY,
    update_id TEXT NOT NULL UNIQUE,             -- the client's own id of the update, kept and answered back
    service_request_id TEXT NOT NULL,           -- the request it is about (held here)
    status TEXT NOT NULL DEFAULT '',            -- the request's status as the client knew it (the clerk decides)
    description TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    media_url TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,                 -- the same update_id posted again with other content is refused
    updated_datetime TEXT NOT NULL,             -- as the client sent it, in storage form
    received_datetime TEXT NOT NULL,
    api_key TEXT NOT NULL DEFAULT '',
    duplicate_posts INTEGER NOT NULL DEFAULT 0  -- the same update posted again (answered with its id)
);
CREATE INDEX IF NOT EXISTS request_updates_by_request ON request_updates (service_request_id, id);
CREATE INDEX IF NOT EXISTS request_updates_by_time ON request_updates (updated_datetime);
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
CREATE TABLE IF NOT EXISTS clerk_sessions (     -- owned by county/accounts.py: logged-in clerks
    id TEXT PRIMARY KEY,                        -- SHA-256 of the token in the session cookie, never the token
    clerk_id INTEGER NOT NULL,
    started REAL NOT NULL                       -- Unix time of logging in
);
CREATE INDEX IF NOT EXISTS clerk_sessions_by_clerk ON clerk_sessions (clerk_id);
CREATE INDEX IF NOT EXISTS login_failures_by_name ON login_failures (name, at);
CREATE INDEX IF NOT EXISTS login_failures_by_address ON login_failures (address, at);
"""


def connect(config) -> sql.SQLiteConnection | sql.PostgresConnection:
    """A connection of its own to the database ``config`` (an app's config) names, for commands and tests."""
    return sql.connect(config)


def get_db() -> sql.SQLiteConnection | sql.PostgresConnection:
    """This request's connection, made (or, on PostgreSQL, borrowed from the pool) once."""
    if "county_db" not in g:
        g.county_db = current_app.extensions["county_database"].connect()
    return g.county_db


def close_db(exc=None) -> None:
    conn = g.pop("county_db", None)
    if conn is not None:
        conn.close()


def load_catalogue(conn, path: str) -> int:
    services = json.loads(Path(path).read_text(encoding="utf-8"))["services"]
    with conn.transaction(exclusive=True):
        conn.execute("DELETE FROM services")
        conn.executemany(
            "INSERT INTO services (service_code, position, definition) VALUES (?, ?, ?)",
            [(s["service_code"], i, json.dumps(s, ensure_ascii=False)) for i, s in enumerate(services)],
        )
    return len(services)


def keep_private(path: str) -> None:
    """The SQLite file readable and writable by its owner only: made so before SQLite first opens it
    (SQLite gives its ``-wal`` and ``-shm`` files the database's mode), and made so again at every
    start for a file, WAL or shared-memory index an older county left readable by all."""
    if not Path(path).exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (path, path + "-wal", path + "-shm"):
        try:
            os.chmod(name, 0o600)
        except FileNotFoundError:
            pass


def init_app(app: Flask) -> None:
    if not sql.is_postgres(app.config.get("DATABASE_URL")):
        keep_private(app.config["DATABASE"])
    conn = connect(app.config)
    try:
        conn.create_schema(SCHEMA)
        # The catalogue file is the county's configuration: read at every start, so a changed file (a
        # service newly marked private, say) is what the county serves, also on an old database.
        load_catalogue(conn, app.config["CATALOGUE"])
    finally:
        conn.close()
    app.extensions["county_database"] = sql.Database(app.config)
    app.teardown_appcontext(close_db)


def close_database(app: Flask) -> None:
    """Close the app's pool of PostgreSQL connections (nothing to do for SQLite)."""
    database = app.extensions.pop("county_database", None)
    if database is not None:
        database.close()
