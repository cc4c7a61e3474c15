"""Run the reference county server: ``python -m county.serve --port 8311 [--demo]``.

Werkzeug's threaded server, not waitress: fault injection needs to close a connection after a
request is stored, which Werkzeug allows (``werkzeug.socket``). This is a test and demo peer, not
a production county.

``--demo`` (or ``COUNTY_DEMO=1``) is what ``make run`` and the tests use: only then is the kiosk's
shipped key, ``demo-kiosk-key``, accepted (see :mod:`county.config`).

``--strict`` (or ``COUNTY_STRICT=1``) makes it behave like the independent counties of issue 21;
``--strict=location_required,own_error_format`` only in the ways named (:mod:`county.strict`).
"""
from __future__ import annotations

import argparse
import logging

from werkzeug.serving import run_simple

from . import create_app
from .config import DEMO_KEY


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reference Open311 county server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--demo", action="store_true", help=f"demo mode: accept the shipped key {DEMO_KEY!r}")
    parser.add_argument("--strict", nargs="?", const="1", default=None, metavar="FLAGS",
                        help="strict mode: behave like an independent Open311 county (all of it, or the"
                             " comma-separated flags named; see county/strict.py)")
    args = parser.parse_args(argv)
    overrides = {**({"DEMO": True} if args.demo else {}), **({"STRICT": args.strict} if args.strict else {})}
    app = create_app(overrides or None)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    keys = app.config["API_KEYS"]
    if DEMO_KEY in keys and not app.config["DEMO"]:
        print(f"Not in demo mode: the shipped key {DEMO_KEY!r} is refused. Set COUNTY_API_KEYS to this county's"
              " own keys, or start it with --demo.", flush=True)
    mode = " (demo mode)" if app.config["DEMO"] else ""
    if app.config["COUNTY_STRICT"].on:
        mode += f" (strict: {', '.join(app.config['COUNTY_STRICT'].on)})"
    print(f"County (Open311) running at http://{args.host}:{args.port}/{mode}  clerk page: http://{args.host}:{args.port}/clerk",
          flush=True)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
