"""``python -m engines.pinyin [PATH]``: build the pinyin index (see :mod:`engines.pinyin.build`).

Without PATH: the process's own index, only if it is missing (``make setup`` runs this), removing
indexes built from older versions of the packages. With PATH: a fresh copy there.
"""
from __future__ import annotations

import sys

from ..index_cli import main as index_main
from .build import build
from .index import default_path, prune


def main(argv: list[str]) -> int:
    return index_main("pinyin", argv, build, default_path, prune)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
