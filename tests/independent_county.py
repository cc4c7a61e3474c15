"""A county nobody here wrote, as a real HTTP server on 127.0.0.1 (``http.server`` in a thread).

It answers as an independent Open311 GeoReport v2 county set up with the kiosk's service codes does
(issue 21): a service list with no service definitions (``metadata`` false, and ``services/<code>.json``
a 404 page), query filters it does not know ignored (``kiosk_uuid`` brings back its latest requests), no
update extension, errors as HTML or its own JSON (``{"error": …}``), and a location required: a request
without ``lat`` and ``long`` gets a 500. Every request it gets is kept in :attr:`seen` (method, path, form).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SERVICES = ["repairs", "home-care", "meal-errand", "pension-cert", "streetlight"]  # not mediation, feedback, disability-subsidy


class IndependentCounty:
    def __init__(self, held: int = 2):
        self.seen: list[tuple[str, str, dict]] = []
        self.held = [{"service_request_id": f"GZ-{n}", "status": "open", "service_code": "repairs",
                      "description": "路灯不亮", "requested_datetime": "2026-01-05T08:00:00+08:00"} for n in range(held)]
        county = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, data) -> None:
                self._send(status, json.dumps(data, ensure_ascii=False).encode())

            def _not_found(self) -> None:
                self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")

            def do_GET(self):
                url = urlsplit(self.path)
                county.seen.append(("GET", url.path, parse_qs(url.query)))
                if url.path == "/services.json":
                    self._json(200, [{"service_code": code, "service_name": code, "metadata": False, "type": "realtime",
                                      "keywords": "", "group": "", "description": ""} for code in SERVICES])
                elif url.path == "/requests.json":
                    self._json(200, county.held)  # every filter it does not know is ignored
                else:
                    self._not_found()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                url = urlsplit(self.path)
                county.seen.append(("POST", url.path, form))
                if url.path != "/requests.json":
                    return self._not_found()
                if not (form.get("lat") and form.get("long")):
                    return self._json(500, {"error": "Internal Server Error"})  # what it says for a missing location
                ident = f"GZ-{len(county.held)}"
                county.held.insert(0, {"service_request_id": ident, "status": "open", "service_code": form["service_code"][0]})
                self._json(201, [{"service_request_id": ident}])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "IndependentCounty":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def posts(self) -> list[dict]:
        return [form for method, _, form in self.seen if method == "POST"]
