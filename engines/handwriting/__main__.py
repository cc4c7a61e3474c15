"""``python -m engines.handwriting [PATH]``: build the common characters' index (:mod:`engines.handwriting.common`).

Without PATH: the process's own index, only if it is missing (``make setup`` runs this), removing
indexes built by earlier versions. With PATH: a fresh copy there.
"""
from __future__ import annotations

import sys
import time

from .common import build, default_path


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: python -m engines.handwriting [PATH]", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if argv:
        path = build(argv[0])
    else:
        path = default_path()
        if path.exists():
            print(f"handwriting index: {path} (up to date)")
            return 0
        build(path)
        for old in path.parent.glob("handwriting-*.zip"):
            if old != path:
                old.unlink(missing_ok=True)
    print(f"handwriting index: {path}, {path.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
