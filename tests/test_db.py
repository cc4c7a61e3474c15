import sqlite3

from kiosk.db import connect, database_path, migrate
from kiosk.migrations import migrations


def test_schema_is_created_with_wal(app):
    db = sqlite3.connect(database_path(app))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"services", "service_groups", "drafts", "requests", "request_personal", "request_events"} <= tables


def test_migrations_run_once(tmp_path):
    db = connect(tmp_path / "k.sqlite3")
    assert migrate(db) == [m.name for m in migrations._migrations]
    assert migrate(db) == []


def test_init_db_command(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "all applied" in result.output


def test_every_cli_command_has_help(app):
    import click

    def walk(command, path):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, path + [name])

    for name, command in app.cli.commands.items():
        for path, cmd in walk(command, [name]):
            assert (cmd.help or "").strip(), f"`flask {' '.join(path)}` has no help text"
