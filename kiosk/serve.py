"""Serve the kiosk with waitress (one process, a few threads: right for a single small box).

``python -m kiosk.serve --host 0.0.0.0 --port 8080`` prints the addresses to open: this machine's
own, and the one phones on the centre's Wi-Fi use (also what the receipt's QR code points at,
unless ``KIOSK_PUBLIC_URL`` says otherwise).
"""
from __future__ import annotations

import argparse
import gc


def main(argv: list[str] | None = None) -> None:
    # Imported here, not at the top: importing this module costs nothing until it serves (the speech
    # worker, ``python -m kiosk.voice.speaker``, no longer imports it, but keep it cheap anyway).
    from waitress import serve

    from . import create_app
    from .security import lan_address

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=6)
    args = parser.parse_args(argv)
    app = create_app()
    # What the app built at start lives as long as the process: out of the collector's way, so that
    # a full collection during a resident's request walks only what requests made (shorter pauses).
    gc.collect()
    gc.freeze()
    print(f"Kiosk running at http://127.0.0.1:{args.port}/", flush=True)
    if args.host in ("0.0.0.0", "::"):
        lan = lan_address()
        if lan:
            print(f"Phones on this network: http://{lan}:{args.port}/", flush=True)
    # waitress refuses a larger body before it reaches the app (and before it is buffered to disk).
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="kiosk",
          max_request_body_size=app.config["MAX_CONTENT_LENGTH"])


if __name__ == "__main__":
    main()
