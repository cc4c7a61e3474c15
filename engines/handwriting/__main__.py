"""``python -m engines.handwriting [PATH]``: build the common characters' index (:mod:`engines.handwriting.common`).

Without PATH: the process's own index, only if it is missing (``make setup`` runs this), removing
indexes built by earlier versions. With PATH: a fresh copy there.
"""
from __future__ import annotations

import sys

from ..index_cli import main as index_main
from .common import build, default_path


def prune(path):
    """Remove the indexes earlier versions built beside ``path``."""
    for old in path.parent.glob("handwriting-*.zip"):
        if old != path:
            old.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    return index_main("handwriting", argv, build, default_path, prune)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
