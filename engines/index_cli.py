"""The one command-line shape of an engine's built index (``python -m engines.pinyin``, ``python -m
engines.handwriting``): without PATH, the process's own index, built only if it is missing (``make setup``
runs these) and then older versions removed; with PATH, a fresh copy there."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path


def main(name: str, argv: list[str], build: Callable[[Path | str], Path], default_path: Callable[[], Path],
         prune: Callable[[Path], object]) -> int:
    """Build ``name``'s index as the module's ``__main__`` is asked; print where it is; the exit status."""
    if len(argv) > 1:
        print(f"usage: python -m engines.{name} [PATH]", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if argv:
        path = build(argv[0])
    else:
        path = default_path()
        if path.exists():
            print(f"{name} index: {path} (up to date)")
            return 0
        build(path)
        prune(path)
    print(f"{name} index: {path}, {path.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - start:.1f} s")
    return 0
