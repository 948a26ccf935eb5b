"""A government site on 127.0.0.1, built by the tests from report texts, for ``reportqa crawl``: it
answers conditional requests (ETag, Last-Modified) with 304, redirects, fails, and records every
request (path, headers, time) so the tests can check what the crawler asked and when."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow page)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    at: float
    status: int


class LoopbackSite:
    """``site.routes[path_with_query] = Route(...)``; ``site.url(path)``; ``site.requests``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = site.routes.get(self.path)
                status = 404 if route is None else route.status
                if route is not None and status == 200 and (
                        (route.etag and self.headers.get("If-None-Match") == route.etag)
                        or (route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified)):
                    status = 304
                with site.lock:
                    site.requests.append(Request(self.path, dict(self.headers.items()), time.monotonic(), status))
                if route is not None and route.delay:
                    time.sleep(route.delay)
                body = b"" if status == 304 else (route.body if route is not None else b"not found")
                try:
                    self.send_response(status)
                    if route is not None:
                        if status != 304:
                            self.send_header("Content-Type", route.content_type)
                        for name, value in route.headers.items():
                            self.send_header(name, value)
                        if route.etag:
                            self.send_header("ETag", route.etag)
                        if route.last_modified:
                            self.send_header("Last-Modified", route.last_modified)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the crawler gave up on a slow page
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> LoopbackSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def take_requests(self) -> list[Request]:
        with self.lock:
            taken, self.requests = self.requests, []
        return taken
