"""Which characters are common: GB 2312, as Python's own ``gb2312`` codec yields it (no data file).

Level 1 (rows 16–55, 3,755 characters) is what every school child in China learns first; level 2
(rows 56–87) brings the total to 6,763. The handwriting re-ranker lifts level 1; the pinyin index
offers both levels and nothing else (which keeps out Traditional and Japanese forms).
"""
from __future__ import annotations

from functools import lru_cache

LEVEL_1 = (16, 55)
BOTH_LEVELS = (16, 87)


@lru_cache(maxsize=4)
def gb2312(rows: tuple[int, int] = BOTH_LEVELS) -> tuple[str, ...]:
    """The Han characters of GB 2312 ``rows`` (first, last), in the standard's order."""
    found = []
    for row in range(rows[0], rows[1] + 1):
        for cell in range(1, 95):
            try:
                found.append(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return tuple(found)
