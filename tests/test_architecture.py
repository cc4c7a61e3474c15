"""The layers hold: import-linter checks the rules written in setup.cfg (``[importlinter]``).

kiosk (the web) → sync (the county) | engines (speech, handwriting, pinyin) → core (the database and
settings), never upwards; sync and engines never import each other; core, sync and engines never import
Flask; engines import none of the kiosk's other packages; county/ and the kiosk's packages never import
each other; inside a package, modules import each other in one direction only (no circle, imports
inside functions included), no module imports another's private name (``_name``), and the web app (kiosk/)
never imports core.db (its writes are actions of core/actions/). A new import that
breaks a rule fails here, and the message names the import.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("core", "engines", "kiosk", "sync", "county")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)})


def test_the_import_rules_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory) -> Path:
    """The packages and setup.cfg in a folder of their own, where an import can be added."""
    where = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, where / package, ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    shutil.copy(ROOT / "setup.cfg", where / "setup.cfg")
    return where


@pytest.mark.parametrize("module, line, named", [
    ("core/outbox.py", "from kiosk.db import get_db", "core.outbox -> kiosk.db"),          # upwards
    ("sync/health.py", "from kiosk import status", "sync.health -> kiosk.status"),         # upwards
    ("sync/health.py", "import flask", "sync.health -> flask"),                            # the web stack below the web
    ("core/clock.py", "from flask_babel import gettext", "core.clock -> flask_babel"),
    ("engines/speech/synthesiser.py", "from flask import current_app", "engines.speech.synthesiser -> flask"),
    ("engines/speech/speaker.py", "import werkzeug", "engines.speech.speaker -> werkzeug"),    # the speech process itself
    ("engines/pinyin/index.py", "from flask import g", "engines.pinyin.index -> flask"),
    ("core/instance.py", "from kiosk import db", "core.instance -> kiosk.db"),           # the sync service, through a web module
    ("sync/engine.py", "from engines.speech import text", "sync.engine -> engines.speech.text"),  # siblings stay apart
    ("engines/handwriting/rerank.py", "from core import catalogue", "engines.handwriting.rerank -> core.catalogue"),
    ("county/api.py", "from core import outbox", "county.api -> core.outbox"),            # the county is independent
    ("sync/payload.py", "import county.db", "sync.payload -> county.db"),
    # circles inside a package, also through an import inside a function
    ("kiosk/resident/flow.py", "def later():\n    from .views import page_context", "No cycles are allowed in kiosk.resident"),
    ("sync/notes.py", "from .engine import SyncEngine", "No cycles are allowed in sync"),
    ("kiosk/resident/visit.py", "from ..worker import assist", "No cycles are allowed in kiosk"),
    ("core/clock.py", "from core import outbox", "No cycles are allowed in core"),
    # the web opens no transaction: its writes are actions of core/actions/
    ("kiosk/worker/worklist.py", "from core.db import write_transaction", "kiosk.worker.worklist -> core.db"),
    ("kiosk/resident/help.py", "import core.db", "kiosk.resident.help -> core.db"),
])
def test_a_forbidden_import_fails_and_is_named(copy_of_the_code, module, line, named):
    path = copy_of_the_code / module
    original = path.read_text(encoding="utf-8")
    path.write_text(original + f"\n{line}  # added by the test\n", encoding="utf-8")
    try:
        result = lint_imports(copy_of_the_code)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert named in result.stdout, result.stdout


MODULES = ("core", "engines", "kiosk", "sync")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_private_names(path: Path, text: str | None = None) -> list[str]:
    """Every ``from x import _name`` in ``path`` (inside functions too) where x is another module of the kiosk."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if text is None else text, str(path))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source.split(".")[0] not in MODULES or source == name:
            continue
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {source} import {alias.name}")
    return found


def test_no_module_imports_another_modules_private_name():
    """A name with a leading underscore belongs to its module; one that others need is made public (and
    moved where both can import it, e.g. kiosk/resident/lookup.py, sync/run.py)."""
    offenders = [hit for package in MODULES for path in sorted((ROOT / package).rglob("*.py"))
                 for hit in imported_private_names(path)]
    assert not offenders, "private names imported by another module:\n" + "\n".join(offenders)


def test_the_private_name_check_sees_an_import_inside_a_function():
    planted = ROOT / "kiosk" / "resident" / "planted.py"
    text = "from .views import page_context\n\n\ndef later():\n    from ..worker.views import _filters\n"
    assert imported_private_names(planted, text) == [
        "kiosk/resident/planted.py:5: from kiosk.worker.views import _filters"]
