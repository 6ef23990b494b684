"""A stand-in for the Hugging Face dataset viewer (/splits and /rows), on 127.0.0.1, for tests and benchmarks.

    hub = FakeHub({"test/fixture": Dataset(rows)})
    hub.faults[("test/fixture", 300)] = ["429"]   # the first request at offset 300 gets a 429
    with hub:                                      # serves in a thread; hub.url is the server
        ...

``Dataset`` takes a list of row dicts or a function ``row(i)`` with a row count (rows made on the
fly, so a benchmark can serve a gigabyte without holding it). Faults, each used once, by dataset and
offset: "429" (with Retry-After: 1), "500", and "drop" (headers and half the body, then the
connection closes). ``hub.requests`` records (path, params, headers) of every request.
"""
from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional, Union


@dataclass
class Dataset:
    rows: Union[list, Callable[[int], dict]]
    count: Optional[int] = None
    features: tuple = ("text",)
    splits: dict = field(default_factory=lambda: {"default": ["train"]})

    def __post_init__(self) -> None:
        if self.count is None:
            self.count = len(self.rows)

    def row(self, i: int) -> dict:
        return self.rows[i] if isinstance(self.rows, list) else self.rows(i)


class FakeHub:
    def __init__(self, datasets: dict[str, Dataset]) -> None:
        self.datasets = datasets
        self.faults: dict[tuple[str, int], list[str]] = {}
        self.requests: list[tuple[str, dict, dict]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> "FakeHub":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def take_fault(self, dataset: str, offset: int) -> Optional[str]:
        with self._lock:
            pending = self.faults.get((dataset, offset))
            return pending.pop(0) if pending else None

    def respond(self, path: str, params: dict) -> tuple[int, dict, Optional[str]]:
        """(status, JSON body, fault) for one request."""
        name = params.get("dataset", "")
        ds = self.datasets.get(name)
        if ds is None:
            return 404, {"error": f"The dataset does not exist: {name}"}, None
        if path == "/splits":
            return 200, {"splits": [{"dataset": name, "config": c, "split": s}
                                    for c, names in ds.splits.items() for s in names],
                         "pending": [], "failed": []}, None
        if path != "/rows":
            return 404, {"error": "Not found"}, None
        offset, length = int(params.get("offset", 0)), int(params.get("length", 100))
        if length > 100:
            return 422, {"error": "Parameter 'length' must not be greater than 100"}, None
        fault = self.take_fault(name, offset)
        if fault in ("429", "500"):
            return int(fault), {"error": "try again"}, fault
        rows = [{"row_idx": i, "row": ds.row(i), "truncated_cells": []}
                for i in range(offset, min(offset + length, ds.count))]
        features = [{"feature_idx": k, "name": f, "type": {"dtype": "string", "_type": "Value"}}
                    for k, f in enumerate(ds.features)]
        return 200, {"features": features, "rows": rows, "num_rows_total": ds.count,
                     "num_rows_per_page": 100, "partial": False}, fault

    def _handler(self) -> type:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                url = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(url.query))
                with hub._lock:
                    hub.requests.append((url.path, params, dict(self.headers)))
                status, body, fault = hub.respond(url.path, params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                if fault == "drop":
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
