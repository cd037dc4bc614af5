"""Fetching URLs with retries into a content cache, with a journal so that nothing is fetched twice.

The cache holds each download once under its SHA-256 (`blobs/ab/abcd...`); `journal.jsonl` maps
each URL to its blob, one line appended after the blob is complete, so a build killed at any
moment either finds a finished download or fetches it again, never a partial one. What a URL
names here never changes (an archive of a commit, a module version), so a hit is never refetched.
`file://` URLs are read in place (there is nothing to cache).

Failures: 404 and 410 are `not_found`, other 4xx are `http_<code>`, and neither is retried;
timeouts, connection errors, 429 and 5xx are retried with exponential backoff and jitter, then
reported as `network` or `http_<code>`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import httpx

CHUNK = 1 << 16
TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


class DownloadError(Exception):
    """A URL could not be fetched; reason is a short key for the counts."""

    def __init__(self, reason: str, detail: str, body: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.body = body  # the server's error text: the module proxy explains itself there


class _Transient(Exception):
    """A failure worth another try; error is what the caller sees if none succeeds."""

    def __init__(self, error: DownloadError) -> None:
        super().__init__(str(error))
        self.error = error


class DownloadCache:
    def __init__(
        self,
        root: Path,
        *,
        attempts: int = 4,
        backoff_s: float = 1.0,
        max_bytes: int = 512 << 20,
        timeout_s: float = 60.0,
    ) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.journal = self.root / "journal.jsonl"
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self._index: dict[str, str] = {}
        self._client: httpx.Client | None = None

    def fetch(self, url: str) -> Path:
        """The path of url's content, downloaded now or found in the cache."""
        if url.startswith("file://"):
            return self._local(url)
        path = self._lookup(url)
        if path is not None:
            return path
        return self._download(url)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # The journal ------------------------------------------------------------------------------

    def _lookup(self, url: str) -> Path | None:
        if url not in self._index:
            self._read_journal()  # another worker may have fetched it since
        digest = self._index.get(url)
        if digest is None:
            return None
        path = self._blob(digest)
        return path if path.is_file() else None

    def _read_journal(self) -> None:
        if not self.journal.exists():
            return
        with self.journal.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                    self._index[entry["url"]] = entry["sha256"]
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a kill; its blob is fetched again

    def _record(self, url: str, digest: str, size: int) -> None:
        self._index[url] = digest
        line = json.dumps({"url": url, "sha256": digest, "bytes": size, "time": time.time()})
        # One write of a short line in append mode: lines of concurrent workers do not interleave.
        with self.journal.open("a", encoding="utf-8") as journal:
            journal.write(line + "\n")

    def _blob(self, digest: str) -> Path:
        return self.blobs / digest[:2] / digest

    # Fetching ---------------------------------------------------------------------------------

    def _local(self, url: str) -> Path:
        path = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
        if not path.is_file():
            raise DownloadError("not_found", f"no file {path}")
        if path.stat().st_size > self.max_bytes:
            raise DownloadError("too_large", f"{path} is over {self.max_bytes} bytes")
        return path

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                follow_redirects=True,
                timeout=httpx.Timeout(self.timeout_s, connect=20.0),
                headers={"User-Agent": "gotest-rl-dataset/0.1"},
            )
        return self._client

    def _download(self, url: str) -> Path:
        last = DownloadError("network", f"{url}: no attempt made")
        for attempt in range(self.attempts):
            if attempt:
                delay = self.backoff_s * 2 ** (attempt - 1)
                time.sleep(delay + random.uniform(0, self.backoff_s))
            try:
                return self._try_download(url)
            except httpx.TransportError as err:
                last = DownloadError("network", f"{url}: {type(err).__name__}: {err}")
            except _Transient as err:
                last = err.error
        raise last

    def _try_download(self, url: str) -> Path:
        self.blobs.mkdir(parents=True, exist_ok=True)
        with self._http().stream("GET", url) as response:
            if response.status_code != 200:
                body = response.read()[:2000].decode("utf-8", errors="replace").strip()
                code = response.status_code
                if code in TRANSIENT_STATUS:
                    raise _Transient(DownloadError(f"http_{code}", f"HTTP {code} for {url}", body))
                reason = "not_found" if code in (404, 410) else f"http_{code}"
                raise DownloadError(reason, f"HTTP {code} for {url}", body)
            digest = hashlib.sha256()
            size = 0
            fd, tmp = tempfile.mkstemp(dir=self.blobs, prefix=".part-")
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise DownloadError(
                                "too_large", f"{url} is over {self.max_bytes} bytes"
                            )
                        digest.update(chunk)
                        out.write(chunk)
                path = self._blob(digest.hexdigest())
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        self._record(url, digest.hexdigest(), size)
        return path
