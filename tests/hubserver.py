"""A tiny stand-in for the Hugging Face hub: HEAD and GET on /datasets/<owner>/<name>/resolve/main/<file>."""
from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeHub:
    """Serves ``files`` ({"owner/name/file": bytes}) on 127.0.0.1 at a free port; ``url`` is HF_ENDPOINT."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _lookup(self) -> bytes | None:
                hub.requests.append(f"{self.command} {self.path}")
                prefix = "/datasets/"
                path = self.path.split("?")[0]
                if not path.startswith(prefix) or "/resolve/" not in path:
                    return None
                repo, rest = path[len(prefix):].split("/resolve/", 1)
                filename = rest.split("/", 1)[1] if "/" in rest else ""
                return hub.files.get(f"{repo}/{filename}")

            def _headers(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", '"' + hashlib.sha1(body).hexdigest() + '"')
                self.send_header("X-Repo-Commit", "0" * 40)
                self.send_header("Content-Type", "text/csv")
                self.end_headers()

            def _missing(self) -> None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("X-Error-Message", "Entry not found")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self) -> None:
                body = self._lookup()
                self._headers(body) if body is not None else self._missing()

            def do_GET(self) -> None:
                body = self._lookup()
                if body is None:
                    return self._missing()
                self._headers(body)
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
