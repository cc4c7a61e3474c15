"""Which rows of the box's portrait screen a seated resident can reach (issue 24, item 3).

EN 301 549 (§5.1.3 / §8) and the 2010 ADA Standards (§308.2.1, unobstructed forward reach) put
operable parts between 380 and 1220 mm above the floor (15 and 48 in). On a 27-inch 16:9 panel
turned portrait (1080 × 1920 px, a picture about 336 mm wide and 598 mm tall) whose picture begins
900 mm above the floor, the top of the picture is at 1498 mm: its upper 893 px are out of reach from
a wheelchair. With ``KIOSK_REACH`` on, the header's controls, Read aloud and Voice settings, and
*Ask a worker for help* stand together in one bar at the bottom of the screen (templates/base.html),
which must fit inside the band computed here.

Pixels are the screen's CSS pixels, counted from its top edge, as the box's Chromium shows them
(fullscreen, 1080 × 1920). No Flask: the settings check (core/config.py) and the tests use it.
"""
from __future__ import annotations

import math

SCREEN_PX = 1920          #: the portrait screen's height in CSS pixels (the box's Chromium, fullscreen)
LOW_REACH_MM = 380        #: the lowest operable part: EN 301 549, ADA 308.2.1 (15 in)
SEATED_REACH_MM = 1220    #: the highest for a forward reach from a wheelchair (48 in); 1120 over a deep obstruction
BAR_PX = 600              #: the most the bar may need: 584 px measured at the largest text, in English (tests/test_reach.py)


def band(bottom_mm: float, height_mm: float, high_mm: float, low_mm: float = LOW_REACH_MM,
         screen_px: int = SCREEN_PX) -> tuple[int, int]:
    """(top, bottom): the rows of the screen, in px from its top edge, whose height above the floor
    lies between ``low_mm`` and ``high_mm``, for a picture ``height_mm`` tall whose bottom edge is
    ``bottom_mm`` above the floor. An empty band has top >= bottom."""
    mm_per_px = height_mm / screen_px
    top = math.ceil(screen_px - (high_mm - bottom_mm) / mm_per_px - 1e-9)
    bottom = math.floor(screen_px - (low_mm - bottom_mm) / mm_per_px + 1e-9)
    return max(0, min(screen_px, top)), max(0, min(screen_px, bottom))


def check(bottom_mm: float, height_mm: float, high_mm: float) -> tuple[int, int]:
    """The band, when the bar fits in it at the screen's bottom edge; else ValueError saying why."""
    top, bottom = band(bottom_mm, height_mm, high_mm)
    if bottom < SCREEN_PX:
        raise ValueError(f"the screen's bottom edge ({bottom_mm:g} mm above the floor) is below the lowest reach "
                         f"({LOW_REACH_MM} mm): mount it higher, or set KIOSK_SCREEN_BOTTOM_MM to what you measured")
    if bottom - top < BAR_PX:
        raise ValueError(f"only {max(0, bottom - top)} px of the screen are between {LOW_REACH_MM} and {high_mm:g} mm "
                         f"above the floor, and the bar needs {BAR_PX}: mount the screen lower, or check "
                         "KIOSK_SCREEN_BOTTOM_MM and KIOSK_SCREEN_HEIGHT_MM")
    return top, bottom
