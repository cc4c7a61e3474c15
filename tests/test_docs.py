"""The docs cannot drift silently (issue 20, item 6): what the README and docs/design.md name exists.

- every setting of :data:`core.config.DEFAULTS` has its row (``KIOSK_<NAME>``) in the README's settings
  table, and every row names a setting something reads;
- every command the README shows exists: ``make`` targets (in the Makefile), ``flask …`` commands (of the
  kiosk's app or the county's), ``python -m …`` modules;
- every module path docs/design.md names (``kiosk/…``, ``core/…``, ``sync/…``, ``engines/…``) exists;
- every figure of the heartbeat (:func:`sync.health.check`) has its row in docs/design.md's table, and every
  row is a figure.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from core.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DESIGN = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")


def code_of(markdown: str) -> list[str]:
    """The text of every fenced block and every inline code span."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.S | re.M)
    rest = re.sub(r"^```[^\n]*\n.*?^```", "", markdown, flags=re.S | re.M)
    return fenced + re.findall(r"`([^`\n]+)`", rest)


def settings_table() -> set[str]:
    """The ``KIOSK_…`` names in the first column of the README's settings table."""
    return {name for line in README.splitlines() if line.startswith("| `KIOSK_")
            for name in re.findall(r"`KIOSK_([A-Z0-9_]+)`", line.split("|")[1])}


def test_every_setting_is_in_the_readme():
    missing = sorted(f"KIOSK_{name}" for name in DEFAULTS if name not in settings_table())
    assert not missing, f"settings of core/config.py DEFAULTS with no row in the README's table: {missing}"


def test_every_setting_in_the_readme_is_read_somewhere():
    code = "\n".join(path.read_text(encoding="utf-8") for folder in ("core", "kiosk", "sync", "engines", "deploy")
                     for path in (ROOT / folder).rglob("*") if path.is_file() and path.suffix in ("", ".py", ".sh", ".service"))
    unread = sorted(f"KIOSK_{name}" for name in settings_table()
                    if name not in DEFAULTS and f"KIOSK_{name}" not in code)
    assert not unread, f"rows of the README's settings table that nothing reads: {unread}"


def make_targets_shown() -> set[str]:
    return {target for code in code_of(README) for target in re.findall(r"(?:^|[\s(])make ([a-z][\w-]*)", code, flags=re.M)}


def test_every_make_target_the_readme_shows_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    shown = make_targets_shown()
    assert {"run", "test", "bench"} <= shown  # the reading sees them
    assert not shown - targets, f"make targets the README shows that the Makefile lacks: {sorted(shown - targets)}"


def python_modules_shown() -> set[str]:
    return {module for code in code_of(README) for module in re.findall(r"python3? -m ([\w.]+)", code)}


def test_every_python_module_the_readme_shows_exists():
    shown = python_modules_shown()
    assert {"sync.process", "engines.pinyin", "county.serve"} <= shown
    missing = []
    for module in sorted(shown):
        spec = importlib.util.find_spec(module)
        if spec is None or (spec.submodule_search_locations and importlib.util.find_spec(f"{module}.__main__") is None):
            missing.append(module)
    assert not missing, f"`python -m` modules the README shows that do not run: {missing}"


def flask_commands_shown() -> set[tuple[str, tuple[str, ...]]]:
    """(app, words) of every flask command the README shows: the rows of its commands table, and
    inline ``flask …`` spans. Words stop at the first argument (upper case, ``[``, ``-``, ``…``)."""
    shown = set()

    def words(text: str) -> tuple[str, ...]:
        out = []
        for word in text.split():
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            out.append(word)
        return tuple(out)

    table = README.split("Commands (`.venv/bin/flask --app kiosk …`):", 1)[1].split("\n\n", 2)[1]
    for line in table.splitlines()[2:]:
        for command in re.findall(r"`([^`]+)`", line.split("|")[1]):
            shown.add(("kiosk", words(command)))
    for code in code_of(README):
        for app, command in re.findall(r"flask(?: --app (\w+))? ([^`\n]+)", code):
            if words(command):
                shown.add((app or "kiosk", words(command)))
    return shown


@pytest.fixture
def clis(tmp_path, monkeypatch):
    from county import create_app as create_county
    from kiosk import create_app

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "kiosk"))
    monkeypatch.setenv("COUNTY_INSTANCE_PATH", str(tmp_path / "county"))
    return {"kiosk": create_app({"TESTING": True}).cli, "county": create_county({"TESTING": True}).cli}


def test_every_flask_command_the_readme_shows_exists(clis):
    shown = flask_commands_shown()
    assert ("kiosk", ("sync", "run")) in shown and ("county", ("clerk", "add")) in shown
    missing = []
    for app, words in sorted(shown):
        command = clis[app]
        for word in words:
            command = command.commands.get(word) if hasattr(command, "commands") else None
            if command is None:
                missing.append(f"flask --app {app} {' '.join(words)}")
                break
    assert not missing, f"flask commands the README shows that do not exist: {missing}"


def modules_named_in_design() -> set[str]:
    return set(re.findall(r"(?<![\w/.-])((?:kiosk|core|sync|engines)/[\w./*-]*[\w*])", DESIGN))


def exists(path: str) -> bool:
    """A file or folder, a glob (``kiosk/resident/*``), or a name in a module (``core/crypto.load_keyring``)."""
    if "*" in path:
        return bool(list(ROOT.glob(path)))
    if (ROOT / path).exists():
        return True
    module, dot, _ = path.partition(".")
    return bool(dot) and (ROOT / f"{module}.py").is_file()


def test_every_module_docs_design_names_exists():
    named = modules_named_in_design()
    assert "core/db.py" in named
    missing = sorted(path for path in named if not exists(path))
    assert not missing, f"paths docs/design.md names that do not exist: {missing}"


def test_every_heartbeat_figure_is_in_docs_design():
    source = (ROOT / "sync" / "health.py").read_text(encoding="utf-8")
    figures = set(re.findall(r'\badd\("(\w+)"', source))
    section = DESIGN.split("## The kiosk's heartbeat", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    assert {"unsent", "free_disk"} <= figures
    assert figures == rows, f"figures with no row: {sorted(figures - rows)}; rows with no figure: {sorted(rows - figures)}"


def test_every_module_is_on_the_readmes_map():
    """A newcomer finds where a thing lives from the README's map: every module of the kiosk's four
    packages is named there (``*_cli.py`` counts for the CLI modules, ``python -m PACKAGE`` for a
    ``__main__``)."""
    start, end = README.index("## Where things live"), README.index("## Developing")
    where = README[start:end]
    missing = []
    for package in ("kiosk", "core", "sync", "engines"):
        for module in sorted((ROOT / package).rglob("*.py")):
            name = module.stem
            if name == "__init__" or (name.endswith("_cli") and "*_cli.py" in where):
                continue
            if name == "__main__":
                if f"python -m {module.parent.relative_to(ROOT).as_posix().replace('/', '.')}" in README:
                    continue
            elif re.search(r"(?<![\w/])" + re.escape(name) + r"(\.py|/)", where):
                continue
            missing.append(module.relative_to(ROOT).as_posix())
    assert not missing, f"not on the README's map (Where things live): {missing}"
