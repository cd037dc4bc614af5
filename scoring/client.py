"""Clients of the scoring server, synchronous and asynchronous (training.rewards builds on them).

    from scoring.client import ScoringClient
    with ScoringClient("http://127.0.0.1:8000") as client:
        results = client.score([{"repo": "owner/name", "package": ".", "completion": "..."}])

An item's `reward` names its formula (coverage, coverage_mutation, mutation); an item without one
gets the server's default. A field that is None is left out of the request.

Several servers may be given: a batch is cut into chunks (at most the contract's 1024 items each)
that are spread across them; a chunk whose server fails is retried with backoff on the next one.
Both clients follow one retry path (`_attempts`); they differ only in how they wait and post.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import math
import os
import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from common.errors import UserError

logger = logging.getLogger("scoring.client")

MAX_ITEMS = 1024  # the contract's limit per request
ITEM_FIELDS = ("repo", "package", "completion", "target_file", "target_function", "reward")


class ScoringError(RuntimeError):
    """No server could score a batch after every retry."""


class NoHealthyScorer(UserError, ScoringError):
    """None of the servers given answers /health: the user's to start one, said in one line."""


DEFAULT_URL = "http://127.0.0.1:8000"


def scorer_urls(urls: str | Sequence[str] | None = None) -> list[str]:
    """The scoring servers' URLs: from SCORING_URLS when None; commas and spaces both separate.

    The one reading of a list of scorers, for train.py, eval.py and the clients alike: a recipe's
    list, a flag's `--scorer_urls a,b` and the environment's `"a b"` all give [a, b].
    """
    if urls is None:
        urls = os.environ.get("SCORING_URLS", DEFAULT_URL)
    if isinstance(urls, str):
        urls = [urls]
    parsed = [url.rstrip("/") for text in urls for url in text.replace(",", " ").split()]
    if not parsed:
        raise ValueError(f"scorer_urls is empty: give at least one, e.g. {DEFAULT_URL}")
    return parsed


def _chunks(items: list[dict], servers: int, chunk_size: int) -> list[list[dict]]:
    """Enough chunks that every server gets work, none over the contract's limit."""
    if not items:
        return []
    size = min(chunk_size, MAX_ITEMS, math.ceil(len(items) / servers))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _item(item: Any) -> dict:
    if hasattr(item, "model_dump"):
        item = item.model_dump()
    return {k: item[k] for k in ITEM_FIELDS if item.get(k) is not None}


@dataclass
class _Options:
    urls: list[str]
    token: str | None
    retries: int
    backoff_s: float
    chunk_size: int

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def failure(self, url: str, err: Exception | httpx.Response) -> str:
        if isinstance(err, httpx.Response):
            return f"{url} answered {err.status_code}: {err.text[:300]}"
        return f"{url}: {type(err).__name__}: {err}"


def _options(urls, token, retries, backoff_s, chunk_size) -> _Options:
    return _Options(
        urls=scorer_urls(urls),
        token=token if token is not None else os.environ.get("SCORING_TOKEN"),
        retries=retries,
        backoff_s=backoff_s,
        chunk_size=chunk_size,
    )


class _Retry(Exception):
    pass


def _check(response: httpx.Response, opts: _Options, url: str, expected: int) -> list[dict]:
    if response.status_code >= 500:
        raise _Retry(opts.failure(url, response))
    if response.status_code != 200:
        # A 4xx is the caller's mistake: retrying cannot fix it.
        raise ScoringError(opts.failure(url, response))
    results = response.json()["results"]
    if len(results) != expected:
        raise _Retry(f"{url} answered {len(results)} results for {expected} items")
    return results


Outcome = httpx.Response | httpx.TransportError


def _attempts(opts: _Options, index: int, size: int) -> Generator[tuple[float, str], Outcome, list]:
    """The retry path of the chunk at `index` of a batch, without its I/O.

    Yields (seconds to wait, server to post to) and is sent what the post gave, the response or
    the transport error; returns the results, or raises ScoringError once every try failed. The
    chunks of one batch start on different servers, and each try moves to the next one.
    """
    errors = []
    for attempt in range(opts.retries + 1):
        url = opts.urls[(index + attempt) % len(opts.urls)]
        outcome = yield (opts.backoff_s * 2 ** (attempt - 1) if attempt else 0.0), url
        if isinstance(outcome, httpx.TransportError):
            errors.append(opts.failure(url, outcome))
            continue
        try:
            return _check(outcome, opts, url, size)
        except _Retry as err:
            errors.append(str(err))
    raise ScoringError(f"scoring failed after {len(errors)} tries: {errors[-1]}")


def healthy_urls(urls: str | Sequence[str] | None, token: str | None = None) -> list[str]:
    """The servers that answer /health with 200; NoHealthyScorer saying why when none does."""
    opts = _options(urls, token, retries=0, backoff_s=0.0, chunk_size=MAX_ITEMS)
    headers = opts.headers()
    live, dead = [], []
    for url in opts.urls:
        try:
            response = httpx.get(f"{url}/health", headers=headers, timeout=10)
            if response.status_code == 200:
                live.append(url)
            else:
                dead.append(f"{url} answered {response.status_code}: {response.text[:200]}")
        except httpx.HTTPError as err:
            dead.append(f"{url} ({type(err).__name__})")
    for server in dead:
        logger.warning("scorer not healthy: %s", server)
    if not live:
        raise NoHealthyScorer(
            f"no scoring server is healthy: {'; '.join(dead)}. Start one with "
            "`fastapi run scoring/scoring_server.py` (see the README) or set scorer_urls"
        )
    return live


class _Client:
    """What both clients take and how both cut a batch; they differ only in how they post."""

    def __init__(
        self,
        urls: str | Sequence[str] | None = None,
        *,
        token: str | None = None,
        timeout_s: float = 600,
        retries: int = 4,
        backoff_s: float = 0.5,
        chunk_size: int = MAX_ITEMS,
    ) -> None:
        self.opts = _options(urls, token, retries, backoff_s, chunk_size)
        self.timeout_s = timeout_s

    def _chunks(self, items: Iterable[Any]) -> list[list[dict]]:
        return _chunks([_item(i) for i in items], len(self.opts.urls), self.opts.chunk_size)


class ScoringClient(_Client):
    """Synchronous client; `score` returns one result dict per item, in order."""

    @functools.cached_property
    def http(self) -> httpx.Client:
        return httpx.Client(timeout=self.timeout_s, headers=self.opts.headers())

    def __enter__(self) -> ScoringClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def health(self, url: str | None = None) -> dict:
        response = self.http.get(f"{url or self.opts.urls[0]}/health")
        response.raise_for_status()
        return response.json()

    def score(self, items: Iterable[Any]) -> list[dict]:
        chunks = self._chunks(items)
        results: list[dict] = []
        for index, chunk in enumerate(chunks):
            results += self._score_chunk(chunk, index)
        return results

    def _score_chunk(self, chunk: list[dict], index: int) -> list[dict]:
        attempts = _attempts(self.opts, index, len(chunk))
        outcome: Outcome | None = None
        while True:
            try:
                wait_s, url = attempts.send(outcome)
            except StopIteration as done:
                return done.value
            time.sleep(wait_s)
            try:
                outcome = self.http.post(f"{url}/score", json={"items": chunk})
            except httpx.TransportError as err:
                outcome = err


class AsyncScoringClient(_Client):
    """Asynchronous client: the chunks of a batch are scored at once across the servers."""

    # Opened on first use, by the loop that uses it.
    _http: httpx.AsyncClient | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        # An httpx.AsyncClient belongs to one event loop; a trainer may call from a new one.
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            self._http = httpx.AsyncClient(timeout=self.timeout_s, headers=self.opts.headers())
            self._loop = loop
        return self._http

    async def __aenter__(self) -> AsyncScoringClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def health(self, url: str | None = None) -> dict:
        response = await self.http.get(f"{url or self.opts.urls[0]}/health")
        response.raise_for_status()
        return response.json()

    async def score(self, items: Iterable[Any]) -> list[dict]:
        chunks = self._chunks(items)
        parts = await asyncio.gather(*(self._score_chunk(c, i) for i, c in enumerate(chunks)))
        return list(itertools.chain.from_iterable(parts))

    async def _score_chunk(self, chunk: list[dict], index: int) -> list[dict]:
        attempts = _attempts(self.opts, index, len(chunk))
        outcome: Outcome | None = None
        while True:
            try:
                wait_s, url = attempts.send(outcome)
            except StopIteration as done:
                return done.value
            await asyncio.sleep(wait_s)
            try:
                outcome = await self.http.post(f"{url}/score", json={"items": chunk})
            except httpx.TransportError as err:
                outcome = err
