"""A Slack stand-in on 127.0.0.1: incoming webhooks and chat.postMessage, recording every message it takes.

It can be told to answer 500 for the next N requests, to hang (answer nothing until released), or to be down
(the port closed). Tests point Airflow connections at it through environment variables.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

WEBHOOK_PATH = "/services/T000/B000/"
API_PATH = "/api/"


@dataclass
class Received:
    """One message Slack took: how it came (webhook or api), the channel (api only) and the text."""

    via: str
    path: str
    channel: str | None
    text: str
    body: dict[str, Any]


@dataclass
class SlackServer:
    port: int = 0
    bot_token: str = ""
    messages: list[Received] = field(default_factory=list)
    requests: int = 0
    failures_left: int = 0
    hanging: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def webhook_url(self, secret: str) -> str:
        return f"{self.base}{WEBHOOK_PATH}{secret}"

    def fail_next(self, count: int) -> None:
        """Answer the next `count` requests with HTTP 500."""
        with self._lock:
            self.failures_left = count

    def hang(self) -> None:
        """Hold every request without an answer until `release`, then drop it."""
        self.hanging.set()

    def release(self) -> None:
        self.hanging.clear()

    def start(self) -> None:
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-server", daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Close the port: connections are refused until `up`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def up(self) -> None:
        """Listen again on the same port."""
        self.start()

    def stop(self) -> None:
        self.release()
        self.down()


def _handler(server: SlackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            with server._lock:
                server.requests += 1
                failing = server.failures_left > 0
                if failing:
                    server.failures_left -= 1
            if server.hanging.is_set():
                # A hung request is dropped when released: its client gave up long before.
                while server.hanging.is_set():
                    time.sleep(0.05)
                self._answer(503, "text/plain", "dropped")
                return
            if failing:
                self._answer(500, "text/plain", "internal_error")
                return
            body = _parse(raw, self.headers.get("Content-Type", ""))
            if self.path.startswith(WEBHOOK_PATH):
                server.messages.append(Received("webhook", self.path, None, str(body.get("text", "")), body))
                self._answer(200, "text/plain", "ok")
            elif self.path == API_PATH + "chat.postMessage":
                if self.headers.get("Authorization") != f"Bearer {server.bot_token}":
                    self._answer(200, "application/json", json.dumps({"ok": False, "error": "invalid_auth"}))
                    return
                channel = str(body.get("channel", ""))
                server.messages.append(Received("api", self.path, channel, str(body.get("text", "")), body))
                self._answer(200, "application/json", json.dumps({"ok": True, "channel": channel, "ts": "1.000"}))
            else:
                self._answer(404, "text/plain", "no_service")

        def _answer(self, status: int, content_type: str, text: str) -> None:
            payload = text.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(raw or "{}")
    return {key: values[-1] for key, values in parse_qs(raw).items()}


@pytest.fixture
def slack_server():
    server = SlackServer(bot_token="xoxb-sentinel-bot-token-0001")
    server.start()
    yield server
    server.stop()
