"""One owner per table, checked (issue 20, item 2).

docs/design.md's "Tables and their owners" is the rule: each table has one owning module, whose
functions everyone else calls, and may name modules allowed to *read* it directly, each with its
reason. This test reads that table, reads every SQL statement in core/, sync/, kiosk/ and engines/
(string literals, f-strings' fixed parts, sqlite-utils ``db["table"]`` and ``db.table("table")``),
and fails naming the module, the table and the line when a module writes a table it does not own,
or reads one it neither owns nor is declared a reader of. ``core/migrations.py`` is the schema's
owner and exempt. Every table and view of the final schema (a real SQLite file, migrated) has
exactly one owner in the doc.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from core import db as core_db

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "docs" / "design.md"
PACKAGES = ("core", "sync", "kiosk", "engines")
EXEMPT = {"core/migrations.py": "the schema itself",
          "engines/pinyin/build.py": "builds the pinyin dictionary's own file (its own `meta`), not the kiosk's"}

# A table name after a keyword that reads or writes it. Keywords in capitals, as the code writes SQL.
READS = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)")
WRITES = re.compile(r"\b(?:INTO|UPDATE|DELETE\s+FROM|TABLE)\s+([A-Za-z_][A-Za-z0-9_]*)")
# sqlite-utils table methods that write
WRITING_METHODS = {"insert", "insert_all", "upsert", "upsert_all", "update", "delete", "delete_where", "create",
                   "add_column", "transform", "drop", "enable_fts", "create_index"}


@dataclass(frozen=True)
class Ownership:
    owner: str
    readers: dict[str, str]  # module -> why


def owners_from_design(text: str | None = None) -> dict[str, Ownership]:
    """The table of docs/design.md's "Tables and their owners": one row per table (or view).

    Columns: table, owner, read also by (``module`` (why); …), holds."""
    text = DESIGN.read_text(encoding="utf-8") if text is None else text
    section = text.split("## Tables and their owners", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    found: dict[str, list[Ownership]] = {}
    for line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        table = re.fullmatch(r"`([A-Za-z_][A-Za-z0-9_]*)`(?: \(view\))?", cells[0])
        assert table, f"docs/design.md: one table per row, as `name`: {cells[0]!r}"
        owner = re.fullmatch(r"`([a-z_/]+\.py)`", cells[1])
        assert owner, f"docs/design.md: one owning module per table, as `path.py`: {cells[1]!r} ({cells[0]})"
        readers = {}
        if cells[2] not in ("", "—"):
            for part in cells[2].split(";"):
                reader = re.fullmatch(r"`([a-z_/]+\.py)` \((.+)\)", part.strip())
                assert reader, f"docs/design.md: a reader is `path.py` (why): {part.strip()!r} ({cells[0]})"
                readers[reader[1]] = reader[2]
        found.setdefault(table[1], []).append(Ownership(owner[1], readers))
    doubled = {t: [o.owner for o in os] for t, os in found.items() if len(os) > 1}
    assert not doubled, f"docs/design.md names more than one owner for {doubled}"
    return {t: os[0] for t, os in found.items()}


def schema_tables(tmp_path: Path) -> set[str]:
    """Every table and view of the final schema, from a real file migrated from empty."""
    db = sqlite_utils.Database(tmp_path / "schema.db")
    core_db.migrate(db)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                                      " AND name NOT LIKE 'sqlite_%'")}
    db.close()
    return names


@dataclass(frozen=True)
class Touch:
    module: str
    line: int
    table: str
    writes: bool


def _text(node: ast.AST) -> str | None:
    """A string literal, or an f-string with its holes left as spaces."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " {} " for v in node.values)
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def touches(source: str, module: str, tables: set[str]) -> list[Touch]:
    """Every place a module's code names a table of the schema in SQL or through sqlite-utils."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        text = _text(node)
        if text is not None and not (isinstance(node, ast.Constant) and _inside_fstring(node, tree)):
            for pattern, writes in ((WRITES, True), (READS, False)):
                for match in pattern.finditer(text):
                    if match[1] in tables:
                        found.append(Touch(module, node.lineno, match[1], writes))
        if (isinstance(node, ast.Subscript) and _is_db(node.value) and isinstance(node.slice, ast.Constant)
                and node.slice.value in tables):
            found.append(Touch(module, node.lineno, node.slice.value, True))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "table"
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in tables):
            found.append(Touch(module, node.lineno, node.args[0].value, True))
    return found


def _is_db(node: ast.AST) -> bool:
    """A name for a database: ``db``, ``self.db``, ``engine.db``, ``kiosk_db``…"""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name == "db" or name.endswith("_db")


_FSTRING_PARTS: dict[int, set[int]] = {}


def _inside_fstring(node: ast.Constant, tree: ast.AST) -> bool:
    parts = _FSTRING_PARTS.get(id(tree))
    if parts is None:
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        _FSTRING_PARTS[id(tree)] = parts
    return id(node) in parts


def code_modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            if module not in EXEMPT:
                yield module, path.read_text(encoding="utf-8")


def breaches(owners: dict[str, Ownership], tables: set[str], modules) -> list[str]:
    out = []
    for module, source in modules:
        for t in touches(source, module, tables):
            rule = owners.get(t.table)
            if rule is None or module == rule.owner:
                continue
            if t.writes:
                out.append(f"{module}:{t.line} writes `{t.table}`, owned by {rule.owner}")
            elif module not in rule.readers:
                out.append(f"{module}:{t.line} reads `{t.table}`, owned by {rule.owner}, and is not a declared reader")
    return sorted(set(out))


def test_every_table_has_exactly_one_owner_in_the_design(tmp_path):
    owners = owners_from_design()
    tables = schema_tables(tmp_path)
    assert sorted(tables - owners.keys()) == [], "tables with no owner in docs/design.md"
    assert sorted(owners.keys() - tables) == [], "docs/design.md names tables the schema does not have"
    for table, rule in owners.items():
        assert (ROOT / rule.owner).is_file(), f"{table}: its owner {rule.owner} does not exist"
        for reader in rule.readers:
            assert (ROOT / reader).is_file(), f"{table}: its reader {reader} does not exist"


def test_no_module_touches_a_table_it_does_not_own(tmp_path):
    owners = owners_from_design()
    tables = schema_tables(tmp_path)
    found = breaches(owners, tables, code_modules())
    assert found == [], "SQL outside its table's owner (docs/design.md, Tables and their owners):\n" + "\n".join(found)


# --- the checker itself catches what it should ------------------------------------------------------

OWNERS = {"requests": Ownership("core/submissions.py", {}),
          "request_events": Ownership("core/outbox.py", {"core/outcomes.py": "the report counts closes"}),
          "audit": Ownership("core/audit.py", {})}
TABLES = set(OWNERS)


@pytest.mark.parametrize("source, expected", [
    ('def f(db):\n    return db.query("SELECT id FROM requests WHERE id = ?", [1])\n',
     ["kiosk/x.py:2 reads `requests`, owned by core/submissions.py, and is not a declared reader"]),
    ('def f(db, ids):\n    return db.execute(f"SELECT a.id FROM audit a LEFT JOIN requests r ON r.id = a.request_id"\n'
     '                      f" WHERE a.id IN ({ids})")\n',
     ["kiosk/x.py:2 reads `audit`, owned by core/audit.py, and is not a declared reader",
      "kiosk/x.py:2 reads `requests`, owned by core/submissions.py, and is not a declared reader"]),
    ('def f(db):\n    db["audit"].insert({"a": 1})\n', ["kiosk/x.py:2 writes `audit`, owned by core/audit.py"]),
    ('def f(db):\n    db.execute("UPDATE requests SET x = 1")\n',
     ["kiosk/x.py:2 writes `requests`, owned by core/submissions.py"]),
    ('def f(counts):\n    return counts["requests"]\n', []),
    ('def f(db):\n    """Reads FROM requests, in a docstring: not SQL."""\n    return 1\n', []),
])
def test_the_checker_names_module_table_and_line(source, expected):
    assert breaches(OWNERS, TABLES, [("kiosk/x.py", source)]) == expected


def test_a_declared_reader_may_read_but_not_write():
    source = 'def f(db):\n    db.query("SELECT state FROM request_events")\n    db.execute("DELETE FROM request_events")\n'
    assert breaches(OWNERS, TABLES, [("core/outcomes.py", source)]) == [
        "core/outcomes.py:3 writes `request_events`, owned by core/outbox.py"]


def test_the_design_table_is_read_one_row_per_table():
    doc = ("## Tables and their owners\n\n| table | owner | read also by | holds |\n| --- | --- | --- | --- |\n"
           "| `a` | `core/a.py` | `core/b.py` (it counts them); `core/c.py` (a join) | things |\n"
           "| `b` | `core/b.py` | — | other things |\n\n## Next\n| `z` | `core/z.py` | — | not here |\n")
    owners = owners_from_design(doc)
    assert owners == {"a": Ownership("core/a.py", {"core/b.py": "it counts them", "core/c.py": "a join"}),
                      "b": Ownership("core/b.py", {})}
    with pytest.raises(AssertionError, match="more than one owner"):
        owners_from_design(doc.replace("| `b` | `core/b.py`", "| `a` | `core/b.py`"))
