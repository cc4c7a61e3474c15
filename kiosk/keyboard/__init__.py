"""The kiosk's own on-screen keyboard: writing by hand, pinyin, letters and a digit keypad.

Chromium in kiosk mode on a touchscreen shows no keyboard of its own, so the page brings one. The
server decides who is offered it (:func:`offered`): by default the box's own screen, which reaches
the kiosk over loopback — phones on the centre's Wi-Fi keep their own keyboards. ``KIOSK_INPUT_PANEL``
says ``on`` (everyone, e.g. a touchscreen on another machine), ``off`` (no one) or ``auto``.
The panel itself is ``templates/keyboard/_panel.html`` and ``static/js/keyboard.js``; without
JavaScript every field is the ordinary field.

- :mod:`.views`: recognising handwriting (zinnia, re-ranked for the field, OpenCC on Traditional
  pages), pinyin candidates, and keys read aloud;
- :mod:`.expect`: what each kind of field expects to be written (catalogue, address book).
"""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from markupsafe import Markup

from ..i18n import current_locale
from ..security import from_this_box

MODES = ("auto", "on", "off")


def offered() -> bool:
    """Whether this page should carry the on-screen keyboard."""
    mode = current_app.config.get("INPUT_PANEL", "auto")
    if mode == "on":
        return True
    if mode == "off":
        return False
    return from_this_box()


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
    rendered: dict[tuple, Markup] = {}

    def panel_html(speak_keys: bool) -> Markup:
        """The panel, rendered once per language, "read keys aloud" choice and mount point.

        It is the same for every visitor who shares those (about a quarter of a page's rendering
        time when it was rendered on every page).
        """
        key = (current_locale(), speak_keys, request.script_root)
        html = rendered.get(key)
        if html is None:
            html = rendered[key] = Markup(render_template("keyboard/_panel.html", speak_keys=speak_keys))
        return html

    @app.context_processor
    def panel() -> dict:
        if not offered():
            return {"input_panel": False}
        from ..voice_views import choices

        speak_keys = choices()["always"]
        return {"input_panel": True, "speak_keys": speak_keys, "input_panel_html": lambda: panel_html(speak_keys)}
