"""The touchscreen's heartbeat (issue 19, item 16): the kiosk's own screen tells the box that it draws.

Every kiosk page on the box's own screen, once painted (``static/js/kiosk.js``: two animation frames
after load, then again every ``BEAT_SECONDS`` while the page stays), sends a beacon to
``POST /screen/drawn``. An animation frame only runs when the renderer is alive and the page is being
composed on the screen, so the beats stop when the screen goes white or freezes: a crashed renderer
("Aw, Snap!"), Chromium's own error page (the kiosk did not answer when the page was asked for), a
blank page, a hung or stopped browser or compositor. ``GET /screen/drawn`` tells how long ago the last
beat came; ``deploy/screen_watchdog.py`` (kiosk-screen-watchdog.timer) reads it and restarts the
screen when it has not drawn for two minutes.

Any kiosk page counts, not only the start page: a resident filling a form for ten minutes is no white
screen, and every page a resident leaves alone goes back to the start page by itself (the idle reset),
so a screen that beats shows a kiosk page that leads home. The last start page's beat is kept too (for
the health of the screen and the soak, ``bench/soak.py``).

Only the box itself may send or read it (``from_this_box``): a phone gets 404 for both. The beat is a
time in the web process's memory: nothing is written, no session is made, and after a restart of the
kiosk the clock counts from the restart (the watchdog waits two minutes from then too).
"""
from __future__ import annotations

import threading
import time

from flask import Blueprint, Flask, abort, current_app, jsonify, request

from .security import csrf, from_this_box

bp = Blueprint("screen", __name__)
BEAT_SECONDS = 15  # how often a page that stays beats (kiosk.js has the same figure)


class Heartbeat:
    """When the screen last drew a kiosk page, and the start page (``time.monotonic()``)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.drawn: float | None = None
        self.start_page: float | None = None
        self.lock = threading.Lock()

    def beat(self, start_page: bool) -> None:
        now = time.monotonic()
        with self.lock:
            self.drawn = now
            if start_page:
                self.start_page = now

    def report(self) -> dict:
        now = time.monotonic()

        def ago(moment: float | None) -> float | None:
            return None if moment is None else round(now - moment, 1)
        with self.lock:
            return {"drawn_seconds_ago": ago(self.drawn), "start_page_seconds_ago": ago(self.start_page),
                    "kiosk_up_seconds": ago(self.started), "beat_seconds": BEAT_SECONDS}


def heartbeat(app: Flask) -> Heartbeat:
    return app.extensions["kiosk_screen_heartbeat"]


@bp.post("/screen/drawn")
@csrf.exempt  # a beacon carries no token; it can only move a clock, and only from the box itself
def drawn():
    if not from_this_box():
        abort(404)
    page = request.get_data(cache=False)[:200].decode("utf-8", "replace").strip()  # the page's path (kiosk.js)
    heartbeat(current_app).beat(start_page=page == "/")
    return "", 204


@bp.get("/screen/drawn")
def report():
    if not from_this_box():
        abort(404)
    answer = jsonify(heartbeat(current_app).report())
    answer.headers["Cache-Control"] = "no-store"
    return answer


def reach_bar() -> bool:
    """Whether the page's controls stand in one bar at the bottom of the screen, within a seated
    resident's reach (KIOSK_REACH, core/reach.py): on the box's own screen only, never on a phone."""
    return bool(current_app.config.get("REACH")) and from_this_box()


def init_app(app: Flask) -> None:
    app.extensions["kiosk_screen_heartbeat"] = Heartbeat()
    app.register_blueprint(bp)
    app.context_processor(lambda: {"reach_bar": reach_bar()})
