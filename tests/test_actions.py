"""One owner for every write (core/actions/__init__.py, docs/design.md "Writes"): a write transaction is
opened by an action of core/actions/ or a sync step, never by the web app (kiosk/) and never by a table
owner's write function, which refuses to run outside its caller's transaction and says which it is."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from core import audit, catalogue, drafts, follow_ups, help_calls, outbox, submissions, workers
from core.actions import admin, resident, worker
from core.crypto import Keyring, new_key
from core.db import TransactionRequired, connect, migrate, write_transaction

ROOT = Path(__file__).resolve().parent.parent
WRITE_SQL = re.compile(r"^\s*(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|REPLACE\s+INTO)\b")
NOT_OWNERS = {"db.py", "migrations.py", "backup.py"}  # the connection and schema; a backup's own file


@pytest.fixture
def db(tmp_path):
    db = connect(tmp_path / "k.sqlite3", keyring=Keyring([new_key()]))
    migrate(db)
    admin.load_catalogue(db, json.loads(catalogue.DEMO_FILE.read_text(encoding="utf-8")))
    return db


def test_no_module_of_the_web_app_opens_a_transaction():
    offenders = []
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        if path == ROOT / "kiosk" / "db.py":
            continue
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if "write_transaction" in line or re.search(r"""["']\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT)\b""", line, re.I) \
                    or re.search(r"\.(commit|rollback)\(\)", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "the web app opens a transaction itself (call an action of core/actions/):\n" + "\n".join(offenders)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _writes(function: ast.FunctionDef) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and WRITE_SQL.match(node.value):
            return True
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant) \
                and WRITE_SQL.match(str(node.values[0].value)):
            return True
        if isinstance(node, ast.Attribute) and node.attr in ("insert_all", "upsert_all", "insert", "upsert"):
            return True
    return False


def _checks(function: ast.FunctionDef) -> bool:
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", "") == "require_transaction"
               for node in ast.walk(function))


def _callers(functions: dict[str, ast.FunctionDef], name: str) -> list[str]:
    return [caller for caller, node in functions.items() if caller != name and any(
        isinstance(n, ast.Call) and getattr(n.func, "id", "") == name for n in ast.walk(node))]


def test_every_owner_write_function_checks_its_callers_transaction():
    """Each function of core/ that writes SQL starts with require_transaction, or is a private helper
    every caller of which does; and none opens a transaction of its own."""
    unchecked, opening = [], []
    for path in sorted((ROOT / "core").glob("*.py")):
        if path.name in NOT_OWNERS:
            continue
        text = path.read_text(encoding="utf-8")
        if "write_transaction" in text:
            opening.append(path.name)
        functions = _functions(ast.parse(text))
        for name, function in functions.items():
            if not _writes(function) or _checks(function):
                continue
            callers = _callers(functions, name)
            if name.startswith("_") and callers and all(_checks(functions[c]) for c in callers):
                continue
            unchecked.append(f"core/{path.name}: {name}")
    assert not opening, f"table owners that open a transaction themselves: {opening}"
    assert not unchecked, "write functions that do not check for their caller's transaction:\n" + "\n".join(unchecked)


def test_the_check_sees_a_write_without_it():
    tree = ast.parse('def forget(db, i):\n    db.execute("DELETE FROM drafts WHERE id = ?", [i])\n')
    [function] = _functions(tree).values()
    assert _writes(function) and not _checks(function)


@pytest.mark.parametrize("call, name", [
    (lambda db: drafts.start(db, "repairs", "en"), "core.drafts.start"),
    (lambda db: drafts.save(db, drafts.Draft(id="x", service_code="repairs", locale="en")), "core.drafts.save"),
    (lambda db: submissions.correct_answer(db, 1, "where", "x"), "core.submissions.correct_answer"),
    (lambda db: outbox.record(db, 1, outbox.QUEUED), "core.outbox.record"),
    (lambda db: follow_ups.record(db, 1, 1, follow_ups.TOLD, "alice"), "core.follow_ups.record"),
    (lambda db: help_calls.call(db, "kiosk-1", "start"), "core.help_calls.call"),
    (lambda db: help_calls.answer(db, 1, "alice"), "core.help_calls.answer"),
    (lambda db: workers.add(db, "alice", "long enough 1"), "core.workers.add"),
    (lambda db: audit.record(db, "cli", "worker.added"), "core.audit.record"),
    (lambda db: catalogue.load_catalogue(db, {"groups": [], "services": []}), "core.catalogue.load_catalogue"),
])
def test_an_owner_write_outside_a_transaction_fails_and_names_itself(db, call, name):
    before = db.execute("SELECT total_changes()").fetchone()[0]
    with pytest.raises(TransactionRequired, match=re.escape(name)):
        call(db)
    assert db.execute("SELECT total_changes()").fetchone()[0] == before  # nothing was written
    assert not db.conn.in_transaction


def test_an_action_commits_its_change_and_its_audit_entry_together(db):
    """Recording a follow-up for an event that is no longer current writes nothing, not even the entry."""
    with write_transaction(db):
        workers.add(db, "alice", "long enough 1")
    token, draft = resident.start_draft(db, "repairs", "en")
    saved = resident.save_request(db, draft, "kiosk-1")
    with write_transaction(db):
        outbox.record(db, saved.id, outbox.ACCEPTED, service_request_id="C1")
        event = outbox.record(db, saved.id, outbox.IN_PROGRESS, service_request_id="C1")
    assert not worker.record_follow_up(db, "alice", saved.id, event + 99, follow_ups.TOLD)
    assert not [e for e in audit.every(db) if e.action.startswith("follow_up.")]
    assert worker.record_follow_up(db, "alice", saved.id, event, follow_ups.TOLD)
    [entry] = [e for e in audit.every(db) if e.action.startswith("follow_up.")]
    assert (entry.actor, entry.action, entry.request_id, entry.detail) == ("worker:alice", "follow_up.told", saved.id,
                                                                         {"event": event})
    assert [h["outcome"] for h in follow_ups.history(db, saved.id)] == [follow_ups.TOLD]
