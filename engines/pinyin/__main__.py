"""``python -m engines.pinyin [PATH]``: build the pinyin index (see :mod:`engines.pinyin.build`).

Without PATH: the process's own index, only if it is missing (``make setup`` runs this), removing
indexes built from older versions of the packages. With PATH: a fresh copy there.
"""
from __future__ import annotations

import sys
import time

from .build import build
from .index import default_path, prune


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: python -m engines.pinyin [PATH]", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if argv:
        path = build(argv[0])
    else:
        path = default_path()
        if path.exists():
            print(f"pinyin index: {path} (up to date)")
            return 0
        build(path)
        prune(path)
    print(f"pinyin index: {path}, {path.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
