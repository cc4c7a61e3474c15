"""Run the reference county server: ``python -m county.serve --port 8311``.

Werkzeug's threaded server, not waitress: fault injection needs to close a connection after a
request is stored, which Werkzeug allows (``werkzeug.socket``). This is a test and demo peer, not
a production county.
"""
from __future__ import annotations

import argparse
import logging

from werkzeug.serving import run_simple

from . import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reference Open311 county server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8311)
    args = parser.parse_args(argv)
    app = create_app()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"County (Open311) running at http://{args.host}:{args.port}/  clerk page: http://{args.host}:{args.port}/clerk", flush=True)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
