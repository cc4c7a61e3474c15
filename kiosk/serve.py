"""Serve the kiosk with waitress (one process, a few threads: right for a single small box).

``python -m kiosk.serve --host 0.0.0.0 --port 8080`` prints the addresses to open: this machine's
own, and the one phones on the centre's Wi-Fi use (also what the receipt's QR code points at,
unless ``KIOSK_PUBLIC_URL`` says otherwise).
"""
from __future__ import annotations

import argparse
import gc
import logging
from io import BytesIO


def takes_uploads(path: str, content_type: str) -> bool:
    """Whether a request may bring a recording or a photo: a multipart POST to a question's page or the
    photo page (kiosk/resident/attachments.py, which lets Flask take it too). Every other body keeps the
    kiosk's usual cap, in waitress as in Flask."""
    return content_type.startswith("multipart/form-data") and (
        path.startswith("/request/questions/") or path == "/request/photos")


def kiosk_page_for_refused_bodies(server, cap: int | None = None) -> None:
    """A body over the cap gets the kiosk's own page (413, in the page's language, the form shown again:
    :mod:`kiosk.views_errors`), not waitress's English "Request Entity Too Large".

    waitress still refuses the body before reading (or buffering) it; the app is handed the request's
    headers only, an empty body and a Content-Length over the cap, so Flask refuses it the same way it
    does in-process. Every other error of waitress's parser is answered by waitress as before.

    ``cap``: the cap of every request that cannot bring an upload (:func:`takes_uploads`), where the
    server's own (``max_request_body_size``) is an upload's: such a body is refused unread too.
    """
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.server import BaseWSGIServer
    from waitress.task import ErrorTask, WSGITask
    from waitress.utilities import RequestEntityTooLarge

    class RefusedBodyTask(WSGITask):
        def get_environment(self):
            environ = super().get_environment()
            declared = environ.get("CONTENT_LENGTH", "")
            over = self.channel.server.adj.max_request_body_size + 1
            environ["CONTENT_LENGTH"] = declared if declared.isdigit() and int(declared) >= over else str(over)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input"] = BytesIO()
            return environ

        def execute(self):
            self.set_close_on_finish()  # the rest of the body is never read: this connection ends here
            super().execute()

    def error_task(channel, request):
        if isinstance(request.error, RequestEntityTooLarge) and request.command:
            return RefusedBodyTask(channel, request)
        return ErrorTask(channel, request)

    class SmallerCap:
        """The server's adjustments, with the usual cap instead of an upload's."""

        def __init__(self, adj):
            self._adj, self.max_request_body_size = adj, cap

        def __getattr__(self, name):
            return getattr(self._adj, name)

    class KioskParser(HTTPRequestParser):
        def parse_header(self, header_plus):
            super().parse_header(header_plus)
            if cap is not None and not takes_uploads(self.path or "", self.headers.get("CONTENT_TYPE", "")):
                self.adj = SmallerCap(self.adj)  # read before the body: the Content-Length check uses it

    class KioskChannel(HTTPChannel):
        error_task_class = staticmethod(error_task)
        parser_class = KioskParser

    servers = [server] + [s for s in getattr(server, "map", {}).values() if isinstance(s, BaseWSGIServer)]
    for each in servers:
        if isinstance(each, BaseWSGIServer):
            each.channel_class = KioskChannel


def main(argv: list[str] | None = None) -> None:
    # Imported here, not at the top: importing this module costs nothing until it serves (the speech
    # worker, ``python -m engines.speech.speaker``, no longer imports it, but keep it cheap anyway).
    from waitress import create_server

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
    # waitress refuses a larger body before it reaches the app (and before it is buffered to disk): the
    # largest any page takes, a photo's (kiosk/resident/attachments.py); Flask holds every other page to
    # MAX_CONTENT_LENGTH, with the same polite 413.
    from .resident.attachments import UPLOAD_BODY
    server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident="kiosk",
                           max_request_body_size=max(app.config["MAX_CONTENT_LENGTH"], UPLOAD_BODY))
    kiosk_page_for_refused_bodies(server, cap=app.config["MAX_CONTENT_LENGTH"])
    logging.basicConfig()  # as waitress.serve does: its warnings (a queue backing up) reach the journal
    server.run()


if __name__ == "__main__":
    main()
