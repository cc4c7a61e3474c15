"""Which language a page is shown in.

The resident's explicit choice (kept in the session) wins; then the browser's Accept-Language,
parsed with Babel rather than Werkzeug's ``best_match`` (which sends zh-TW to Simplified Chinese);
then the kiosk's default. Chinese is matched by *script*: Traditional (Taiwan, Hong Kong, Macau,
``zh-Hant``, Cantonese) gets ``zh_Hant_TW``, everything else Chinese gets ``zh_Hans_CN``.
"""
from __future__ import annotations

import functools
from datetime import datetime

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, force_locale, format_datetime, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup

#: Supported locales, in the order the language switch shows them, with their own names and the
#: BCP 47 tag for the page's ``lang`` attribute.
LOCALES: dict[str, dict[str, str]] = {
    "zh_Hans_CN": {"name": "简体中文", "lang": "zh-Hans"},
    "zh_Hant_TW": {"name": "繁體中文", "lang": "zh-Hant"},
    "en": {"name": "English", "lang": "en"},
}


@functools.lru_cache(maxsize=512)  # a pure function of the tag, asked several times per page
def match_tag(tag: str) -> str | None:
    """Map one language tag (``zh-TW``, ``en-US``, ``zh-Hant``…) to a supported locale, or None."""
    try:
        locale = Locale.parse(tag.strip().replace("_", "-"), sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    if locale.language == "en":
        return "en"
    if locale.language in ("zh", "yue"):
        script = locale.script
        if script is None:
            likely = get_global("likely_subtags").get(str(locale)) or get_global("likely_subtags").get(locale.language, "")
            script = "Hant" if "Hant" in likely else "Hans"
        return "zh_Hant_TW" if script == "Hant" else "zh_Hans_CN"
    return None


def negotiate(accept_language: list[tuple[str, float]], default: str) -> str:
    """First supported locale among ``(tag, quality)`` pairs, best quality first."""
    for tag, quality in sorted(accept_language, key=lambda pair: -pair[1]):
        if quality <= 0 or tag == "*":
            continue
        found = match_tag(tag)
        if found:
            return found
    return default


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    # The browser's header is the same all through a request, which asks this about six times.
    negotiated = request.environ.get("kiosk.negotiated_locale")
    if negotiated is None:
        negotiated = request.environ["kiosk.negotiated_locale"] = negotiate(
            list(request.accept_languages), current_app.config["DEFAULT_LOCALE"])
    return negotiated


def current_locale() -> str:
    """The locale of the page being rendered, as one of the keys of :data:`LOCALES`."""
    try:
        return select_locale()
    except RuntimeError:  # outside a request (CLI)
        return current_app.config["DEFAULT_LOCALE"]


def centre_locale() -> str:
    """The centre's own language (``KIOSK_DEFAULT_LOCALE``): what goes to the county is written in it,
    whatever language the resident's screen showed (chosen options, places from the address book)."""
    chosen = current_app.config["DEFAULT_LOCALE"]
    return chosen if chosen in LOCALES else "zh_Hans_CN"


def _translations():
    """The message catalogue of the page's language: chosen once per request, loaded once per
    language (Flask-Babel's lookup parses the locale again for every request)."""
    if not has_request_context():
        translations = g.get("translations")
        if translations is None:
            translations = g.translations = get_translations()
        return translations
    translations = request.environ.get("kiosk.translations")
    if translations is None:
        locale = current_locale()
        loaded = current_app.extensions.setdefault("kiosk_translations", {})
        translations = loaded.get(locale)
        if translations is None:
            with force_locale(locale):
                translations = loaded[locale] = get_translations()
        request.environ["kiosk.translations"] = translations
    return translations


@pass_eval_context
def _template_gettext(eval_ctx, string: str, /, **variables) -> str:
    """``_()`` and ``gettext()`` in templates: Jinja's "new style" gettext (escaped when the template
    is, always a format string), looked up in the request's catalogue in one call. Jinja's own goes
    through two context calls and a closure for each of a page's ~20 messages."""
    rv = _translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables if variables or "%" in rv else rv  # (``% {}`` leaves a message without % as it is)


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
    """``ngettext()`` in templates, as :func:`_template_gettext` (``num`` is a variable too)."""
    variables.setdefault("num", num)
    rv = _translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


def when(iso_timestamp: str) -> str:
    """An ISO 8601 UTC timestamp as a date and time in the kiosk's time zone and the page's language."""
    return format_datetime(datetime.fromisoformat(iso_timestamp), "medium")


def init_app(app: Flask, translations_dir: str) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translations_dir)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LOCALE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    app.jinja_env.filters["when"] = when
    Babel(app, locale_selector=select_locale)
    # Templates look their messages up through the request's catalogue, fetched once per request:
    # Flask-Babel's own callables walk its domain machinery on each of a page's ~20 messages.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
    )
    # ...and in one call each: the same "new style" results without Jinja's wrappers around them.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
    app.jinja_env.globals["LOCALES"] = LOCALES
    app.jinja_env.globals["current_locale"] = current_locale
