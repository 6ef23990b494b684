"""Where the learner's text comes from: local files and Hugging Face datasets, streamed in batches.

    >>> from crayon.core.learn import Learner                                  # doctest: +SKIP
    >>> from crayon.core.sources import DocumentStream
    >>> stream = DocumentStream(["hf://datasets/OWNER/NAME"], column="text", max_bytes="200M")
    >>> with Learner() as learner:                                             # doctest: +SKIP
    ...     for batch in stream:
    ...         learner.feed(batch)
    ...     tokens = learner.learn(32000)
    >>> print(stream.stats.summary())                                          # doctest: +SKIP

A source is one of:

* ``FILE.txt`` (or any other name, or ``-`` for stdin): the whole file is one document;
* ``FILE.jsonl`` / ``FILE.jsonl.gz``: one JSON object a line, the document is its ``column`` field;
* ``hf://datasets/OWNER/NAME[/CONFIG[/SPLIT]]``: the rows of a dataset on the Hugging Face Hub,
  read page by page (100 rows) from the dataset viewer's rows API, never written to disk. Without
  CONFIG the first one is taken, without SPLIT ``train`` (else the first).

The stream yields lists of UTF-8 ``bytes`` documents of about ``batch_bytes`` in all, so memory stays
bounded whatever the size of the data. Rows that cannot be read (no such field, a value that is not a
string, a line that is not JSON) are skipped and counted in ``stream.stats``; a column that the dataset
does not have at all is an error. ``max_bytes`` stops the stream once that much text is out (the last
document is cut at a character boundary).

The HTTP client (standard library only) retries what is transient — 429 (after ``Retry-After``), 5xx,
dropped connections, time-outs, a body cut short — with exponential back-off, and then asks again for
the page it did not fully receive, so no row is lost or repeated. Environment:

* ``HF_DATASETS_SERVER``: the rows API (default ``https://datasets-server.huggingface.co``);
* ``HF_ENDPOINT``: the Hub itself (default ``https://huggingface.co``), named in errors about gated
  datasets;
* ``HF_TOKEN``: sent as ``Authorization: Bearer`` for gated and private datasets;
* ``CRAYON_HF_MAX_BACKOFF``: the longest wait between two tries, in seconds (default 60).
"""
from __future__ import annotations

import collections
import email.utils
import gzip
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable, Iterator, Optional, Sequence, Union

from .._errors import CrayonError

DEFAULT_DATASETS_SERVER = "https://datasets-server.huggingface.co"
DEFAULT_ENDPOINT = "https://huggingface.co"
PAGE_ROWS = 100                 # the rows API's largest page
MAX_TRIES = 10                  # consecutive failures of one request before giving up


class SourceError(CrayonError, ValueError):
    """A source that cannot be read: a missing file, a column that is not there, an unreachable Hub."""


# ---- sizes --------------------------------------------------------------------------------------

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: Union[str, int, None]) -> Optional[int]:
    """``"200M"`` → 209715200: a byte count with an optional K, M, G or T (powers of 1024; a trailing
    ``B`` or ``iB`` is allowed). ``None`` stays ``None``."""
    if text is None or isinstance(text, int):
        return text
    s = text.strip().upper().replace("_", "")
    for suffix in ("IB", "B"):
        if s.endswith(suffix) and s[:-len(suffix)][-1:] in "KMGT" and len(s) > len(suffix):
            s = s[:-len(suffix)]
            break
    unit = s[-1:] if s[-1:] in "KMGT" else ""
    try:
        value = float(s[:len(s) - len(unit)])
    except ValueError:
        raise SourceError(f"not a size: {text!r} (write e.g. 200M, 1G, 500K or a number of bytes)") from None
    if value < 0:
        raise SourceError(f"a size must not be negative: {text!r}")
    return int(value * _UNITS[unit])


# ---- statistics ---------------------------------------------------------------------------------

@dataclass
class StreamStats:
    """What a stream has delivered so far; read by the progress display and the final report."""
    documents: int = 0
    bytes: int = 0
    retries: int = 0
    skipped: collections.Counter = field(default_factory=collections.Counter)  # reason → rows
    truncated: int = 0          # rows whose cell the rows API shortened (learned as they came)
    rows_total: Optional[int] = None   # when the source says how many rows it has
    partial: bool = False       # the viewer holds only the first part of the dataset
    started: float = field(default_factory=time.perf_counter)

    def summary(self) -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        parts = [f"{self.documents:,} document{'' if self.documents == 1 else 's'}, {_mb(self.bytes)} in {elapsed:.1f} s "
                 f"({self.bytes / elapsed / 1e6:.1f} MB/s, {self.documents / elapsed:,.0f} rows/s)"]
        if self.retries:
            parts.append(f"{self.retries} {'retry' if self.retries == 1 else 'retries'}")
        if self.skipped:
            reasons = ", ".join(f"{why}: {n:,}" for why, n in sorted(self.skipped.items()))
            parts.append(f"skipped {sum(self.skipped.values()):,} rows ({reasons})")
        if self.truncated:
            parts.append(f"{self.truncated:,} rows truncated by the rows API")
        if self.partial:
            parts.append("the dataset viewer holds only part of this dataset")
        return "; ".join(parts)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n:,} bytes"


# ---- the stream ---------------------------------------------------------------------------------

class DocumentStream:
    """Iterating gives lists of ``bytes`` documents from ``sources`` in order (see the module doc)."""

    def __init__(self, sources: Sequence[str], *, column: str = "text", max_bytes: Union[str, int, None] = None,
                 batch_bytes: int = 4 << 20, progress: Optional[Callable[[StreamStats], object]] = None,
                 client: Optional["HubClient"] = None) -> None:
        self.sources = list(sources)
        self.column = column
        self.max_bytes = parse_size(max_bytes)
        self.batch_bytes = batch_bytes
        self.progress = progress
        self.client = client
        self.stats = StreamStats()

    def __iter__(self) -> Iterator[list[bytes]]:
        self.stats = StreamStats()
        batch: list[bytes] = []
        size = 0
        for doc in self.documents():
            batch.append(doc)
            size += len(doc)
            if size >= self.batch_bytes:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def documents(self) -> Iterator[bytes]:
        """The documents one by one (what ``__iter__`` batches)."""
        stats = self.stats
        limit = self.max_bytes
        for source in self.sources:
            for doc in _open(source, self.column, stats, self.client):
                if limit is not None and stats.bytes + len(doc) >= limit:
                    doc = _cut(doc, limit - stats.bytes)
                    if doc:
                        stats.documents += 1
                        stats.bytes += len(doc)
                        yield doc
                    self._tick()
                    return
                stats.documents += 1
                stats.bytes += len(doc)
                yield doc
                self._tick()

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.stats)


def _cut(doc: bytes, n: int) -> bytes:
    """The first n bytes of doc or fewer, never ending inside a UTF-8 character."""
    if n >= len(doc):
        return doc
    while n > 0 and (doc[n] & 0xC0) == 0x80:
        n -= 1
    return doc[:n]


def _open(source: str, column: str, stats: StreamStats, client: Optional["HubClient"]) -> Iterator[bytes]:
    if source.startswith("hf://"):
        return (client or HubClient()).documents(source, column, stats)
    name = source.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
        return _jsonl_documents(source, column, stats)
    if name.endswith(".parquet"):
        # No Parquet reader is installable here (no pyarrow or fastparquet in Debian 12, no PyPI).
        raise SourceError(f"{source}: Parquet is not supported; convert it to JSON Lines first "
                          f"(e.g. with pandas or duckdb: one {{\"{column}\": ...}} object a line)")
    return _text_document(source)


# ---- local files --------------------------------------------------------------------------------

def check_text(path: str, data: bytes) -> None:
    """Refuses input that is not text: learning from it would fill the vocabulary with noise."""
    if b"\0" in data[:1 << 16]:
        raise SourceError(f"{path} is not text (it holds NUL bytes); learn from text files")
    invalid = len(data) - len(data.decode("utf-8", "ignore").encode("utf-8"))
    if data and invalid * 20 > len(data):
        raise SourceError(f"{path} is not UTF-8 text ({100 * invalid // len(data)} % of its bytes are not "
                          f"UTF-8); convert it first, e.g. iconv -f latin1 -t utf-8")


def read_text_file(path: str) -> bytes:
    """A whole text file (``-``: stdin), checked with ``check_text``."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                data = f.read()
    except OSError as e:
        raise SourceError(f"cannot read {path}: {e.strerror}") from None
    check_text(path, data)
    return data


def _text_document(path: str) -> Iterator[bytes]:
    yield read_text_file(path)


def _jsonl_documents(path: str, column: str, stats: StreamStats) -> Iterator[bytes]:
    opener = gzip.open if path.lower().endswith(".gz") else open
    found = missing = 0
    keys: set[str] = set()
    try:
        with opener(path, "rb") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    stats.skipped["bad JSON line"] += 1
                    continue
                if not isinstance(row, dict):
                    stats.skipped["not a JSON object"] += 1
                    continue
                doc = _cell(row, column, stats)
                if doc is None:
                    if column not in row:
                        missing += 1
                        if len(keys) < 50:
                            keys.update(row)
                        if not found and missing >= 1000:
                            break       # the column is not there at all: say so below
                    continue
                found += 1
                yield doc
    except OSError as e:   # a missing file, a corrupt .gz
        raise SourceError(f"cannot read {path}: {e.strerror or e}") from None
    except EOFError:
        raise SourceError(f"cannot read {path}: the compressed file ends early") from None
    if not found and missing:
        raise SourceError(f"{path} has no field {column!r} (its fields: {', '.join(sorted(keys))}); "
                          f"pass --column NAME")


def _cell(row: dict, column: str, stats: StreamStats) -> Optional[bytes]:
    """The row's text as UTF-8, or None (counted in stats) when the row has none."""
    value = row.get(column)
    if value is None:
        stats.skipped["missing column" if column not in row else "null value"] += 1
        return None
    if not isinstance(value, str):
        stats.skipped["non-string value"] += 1
        return None
    # Lone surrogates (legal in JSON) become invalid UTF-8, which the learner skips.
    return value.encode("utf-8", "surrogatepass")


# ---- the Hub ------------------------------------------------------------------------------------

@dataclass
class HubSpec:
    dataset: str                 # OWNER/NAME
    config: Optional[str] = None
    split: Optional[str] = None

    @classmethod
    def parse(cls, url: str) -> "HubSpec":
        rest = url[len("hf://"):]
        parts = [p for p in rest.split("/") if p]
        if len(parts) < 3 or parts[0] != "datasets" or len(parts) > 5:
            raise SourceError(f"not a dataset address: {url} (write hf://datasets/OWNER/NAME[/CONFIG[/SPLIT]])")
        return cls("/".join(parts[1:3]), *parts[3:])


class _Transient(Exception):
    """A failure worth another try; ``wait`` is the server's Retry-After, if it gave one."""

    def __init__(self, message: str, wait: Optional[float] = None) -> None:
        super().__init__(message)
        self.wait = wait


class HubClient:
    """GET requests to the rows API, with retries; pages fetched ``workers`` at a time, delivered in order.

    Environment (read when the client is made): HF_DATASETS_SERVER, HF_ENDPOINT, HF_TOKEN,
    CRAYON_HF_MAX_BACKOFF (see the module doc)."""

    def __init__(self, server: Optional[str] = None, token: Optional[str] = None, *, workers: int = 4,
                 timeout: float = 30.0, max_backoff: Optional[float] = None) -> None:
        self.server = (server or os.environ.get("HF_DATASETS_SERVER") or DEFAULT_DATASETS_SERVER).rstrip("/")
        self.endpoint = (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.token = token if token is not None else os.environ.get("HF_TOKEN") or None
        self.workers = max(1, workers)
        self.timeout = timeout
        env_backoff = os.environ.get("CRAYON_HF_MAX_BACKOFF")
        self.max_backoff = max_backoff if max_backoff is not None else float(env_backoff or 60.0)
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # -- one request --

    def get_json(self, path: str, params: dict, stats: Optional[StreamStats] = None, *, first: bool = False) -> dict:
        """GET server/path?params as JSON, retrying transient failures. ``first``: an unreachable
        server fails at once (nothing has been read yet, so it is not a dropped connection)."""
        url = f"{self.server}/{path}?{urllib.parse.urlencode(params)}"
        delay = 1.0
        for attempt in range(1, MAX_TRIES + 1):
            try:
                return self._get_once(url, first=first)
            except _Transient as e:
                if attempt == MAX_TRIES or self._stop.is_set():
                    raise SourceError(f"giving up on {url} after {attempt} tries: {e}") from None
                wait = e.wait if e.wait is not None else min(delay, self.max_backoff) * (0.5 + random.random() / 2)
                delay *= 2
                if stats is not None:
                    with self._lock:
                        stats.retries += 1
                self._stop.wait(wait)
        raise AssertionError("unreachable")

    def _get_once(self, url: str, *, first: bool) -> dict:
        headers = {"Accept": "application/json", "User-Agent": "crayon"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as e:
            status = e.code
            detail = _error_text(e)
            if status == 429 or status >= 500:
                raise _Transient(f"HTTP {status}{detail}", _retry_after(e.headers.get("Retry-After"))) from None
            raise self._http_error(url, status, detail) from None
        except urllib.error.URLError as e:
            reason = e.reason
            if first and not isinstance(reason, (socket.timeout, TimeoutError, ConnectionResetError)):
                raise self._unreachable(url, reason) from None
            raise _Transient(f"{reason}") from None
        except (http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError) as e:
            # IncompleteRead, RemoteDisconnected, resets, time-outs: the page comes again.
            raise _Transient(f"{type(e).__name__}: {e}") from None
        try:
            return json.loads(body)
        except ValueError:
            raise _Transient(f"the response is not JSON ({len(body)} bytes)") from None

    def _unreachable(self, url: str, reason: object) -> SourceError:
        why = getattr(reason, "strerror", None) or str(reason)
        return SourceError(f"cannot reach {url} ({why}); check the network (or HF_DATASETS_SERVER), "
                           f"or learn from local files instead: crayon learn FILE.txt|FILE.jsonl[.gz] ...")

    def _http_error(self, url: str, status: int, detail: str) -> SourceError:
        if status in (401, 403):
            hint = ("set HF_TOKEN to a token that may read it" if not self.token else
                    "the token in HF_TOKEN may not read it")
            return SourceError(f"{url}: HTTP {status}{detail}; the dataset is gated or private: {hint} "
                               f"(and accept its conditions at {self.endpoint}/datasets/...)")
        return SourceError(f"{url}: HTTP {status}{detail}")

    # -- a dataset --

    def resolve(self, spec: HubSpec, stats: Optional[StreamStats] = None) -> tuple[str, str]:
        """(config, split): the named ones, checked, or the defaults from /splits."""
        body = self.get_json("splits", {"dataset": spec.dataset}, stats, first=True)
        splits = [(s.get("config"), s.get("split")) for s in body.get("splits", [])]
        if not splits:
            raise SourceError(f"{spec.dataset} has no splits the dataset viewer can read"
                              + (f" ({body['error']})" if body.get("error") else ""))
        configs = list(dict.fromkeys(c for c, _ in splits))
        config = spec.config or ("default" if "default" in configs else configs[0])
        if config not in configs:
            raise SourceError(f"{spec.dataset} has no config {config!r} (configs: {', '.join(configs)})")
        names = [s for c, s in splits if c == config]
        split = spec.split or ("train" if "train" in names else names[0])
        if split not in names:
            raise SourceError(f"{spec.dataset}/{config} has no split {split!r} (splits: {', '.join(names)})")
        return config, split

    def documents(self, url: str, column: str, stats: StreamStats) -> Iterator[bytes]:
        spec = HubSpec.parse(url)
        config, split = self.resolve(spec, stats)
        base = {"dataset": spec.dataset, "config": config, "split": split}

        def page(offset: int, length: int) -> list[dict]:
            """Rows offset … offset+length-1 exactly (asking again for any the server did not send)."""
            rows: list[dict] = []
            while len(rows) < length:
                at = offset + len(rows)
                body = self.get_json("rows", {**base, "offset": at, "length": length - len(rows)}, stats)
                got = [r for r in body.get("rows", []) if r.get("row_idx", at) >= at]
                got.sort(key=lambda r: r.get("row_idx", 0))
                if not got:
                    break       # the dataset ended sooner than it said
                rows.extend(got)
            return rows

        first = self.get_json("rows", {**base, "offset": 0, "length": PAGE_ROWS}, stats)
        names = [f.get("name") for f in first.get("features", [])]
        if names and column not in names:
            raise SourceError(f"{spec.dataset} ({config}/{split}) has no column {column!r} "
                              f"(columns: {', '.join(map(str, names))}); pass --column NAME")
        total = first.get("num_rows_total")
        stats.rows_total = (stats.rows_total or 0) + total if isinstance(total, int) else stats.rows_total
        stats.partial = stats.partial or bool(first.get("partial"))
        rows = first.get("rows", [])
        yield from self._cells(rows, column, stats)
        if not isinstance(total, int):
            # No total: page on until a page comes back short.
            offset = len(rows)
            while len(rows) == PAGE_ROWS:
                rows = page(offset, PAGE_ROWS)
                offset += len(rows)
                yield from self._cells(rows, column, stats)
            return
        offsets = iter(range(len(rows), total, PAGE_ROWS))
        if len(rows) < min(PAGE_ROWS, total):  # a short first page: fetch its rest before the others
            rest = page(len(rows), min(PAGE_ROWS, total) - len(rows))
            yield from self._cells(rest, column, stats)
            offsets = iter(range(min(PAGE_ROWS, total), total, PAGE_ROWS))
        # A window of pages in flight, taken in order: the next requests overlap the learner's work.
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="crayon-hub")
        window: collections.deque = collections.deque()
        try:
            for offset in offsets:
                window.append(pool.submit(page, offset, min(PAGE_ROWS, total - offset)))
                if len(window) >= 2 * self.workers:
                    yield from self._cells(window.popleft().result(), column, stats)
            while window:
                yield from self._cells(window.popleft().result(), column, stats)
        finally:
            self._stop.set()            # a stream left early: stop waiting between tries
            for f in window:
                f.cancel()
            pool.shutdown(wait=True)
            self._stop.clear()

    @staticmethod
    def _cells(rows: Iterable[dict], column: str, stats: StreamStats) -> Iterator[bytes]:
        for r in rows:
            row = r.get("row")
            if not isinstance(row, dict):
                stats.skipped["malformed row"] += 1
                continue
            doc = _cell(row, column, stats)
            if doc is not None:
                if column in (r.get("truncated_cells") or ()):
                    stats.truncated += 1
                yield doc


def _retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error_text(e: urllib.error.HTTPError) -> str:
    """The rows API's {"error": "..."} message, if any, as ' (message)'."""
    try:
        body = e.read(4096)
        message = json.loads(body).get("error")
    except Exception:  # noqa: BLE001 - the status alone is still a good message
        return ""
    return f" ({str(message).strip()[:200]})" if message else ""
