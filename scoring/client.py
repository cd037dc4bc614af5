"""Clients of the scoring server, and the TRL reward function built on them.

    from scoring.client import ScoringClient
    with ScoringClient("http://127.0.0.1:8000") as client:
        results = client.score([{"repo": "owner/name", "package": ".", "completion": "..."}])

Several servers may be given: a batch is cut into chunks (at most the contract's 1024 items each)
that are spread across them; a chunk whose server fails is retried with backoff on the next one.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from scoring import figures

logger = logging.getLogger("scoring.client")

MAX_ITEMS = 1024  # the contract's limit per request
ITEM_FIELDS = ("repo", "package", "completion", "target_file", "target_function")


class ScoringError(RuntimeError):
    """No server could score a batch after every retry."""


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


def healthy_urls(urls: str | Sequence[str] | None, token: str | None = None) -> list[str]:
    """The servers that answer /health with 200; a ScoringError saying why when none does."""
    token = token if token is not None else os.environ.get("SCORING_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    live, dead = [], []
    for url in scorer_urls(urls):
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
        raise ScoringError(
            f"no scoring server is healthy: {'; '.join(dead)}. Start one with "
            "`fastapi run scoring/scoring_server.py` (see the README) or set scorer_urls"
        )
    return live


class ScoringClient:
    """Synchronous client; `score` returns one result dict per item, in order."""

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
        self.http = httpx.Client(timeout=timeout_s, headers=self.opts.headers())

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
        chunks = _chunks([_item(i) for i in items], len(self.opts.urls), self.opts.chunk_size)
        results: list[dict] = []
        for index, chunk in enumerate(chunks):
            results += self._score_chunk(chunk, index)
        return results

    def _score_chunk(self, chunk: list[dict], index: int) -> list[dict]:
        errors = []
        for attempt in range(self.opts.retries + 1):
            url = self.opts.urls[(index + attempt) % len(self.opts.urls)]
            try:
                response = self.http.post(f"{url}/score", json={"items": chunk})
                return _check(response, self.opts, url, len(chunk))
            except (httpx.TransportError, _Retry) as err:
                errors.append(str(err) if isinstance(err, _Retry) else self.opts.failure(url, err))
            if attempt < self.opts.retries:
                time.sleep(self.opts.backoff_s * 2**attempt)
        raise ScoringError(f"scoring failed after {len(errors)} tries: {errors[-1]}")


class AsyncScoringClient:
    """Asynchronous client: the chunks of a batch are scored at once across the servers."""

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
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

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
        chunks = _chunks([_item(i) for i in items], len(self.opts.urls), self.opts.chunk_size)
        parts = await asyncio.gather(*(self._score_chunk(c, i) for i, c in enumerate(chunks)))
        return list(itertools.chain.from_iterable(parts))

    async def _score_chunk(self, chunk: list[dict], index: int) -> list[dict]:
        errors = []
        for attempt in range(self.opts.retries + 1):
            url = self.opts.urls[(index + attempt) % len(self.opts.urls)]
            try:
                response = await self.http.post(f"{url}/score", json={"items": chunk})
                return _check(response, self.opts, url, len(chunk))
            except (httpx.TransportError, _Retry) as err:
                errors.append(str(err) if isinstance(err, _Retry) else self.opts.failure(url, err))
            if attempt < self.opts.retries:
                await asyncio.sleep(self.opts.backoff_s * 2**attempt)
        raise ScoringError(f"scoring failed after {len(errors)} tries: {errors[-1]}")


# The TRL reward function ------------------------------------------------------------------------


def batch_figures(results: list[dict]) -> dict[str, float]:
    """What the scorer said of a batch beyond the rewards (scoring.figures): where gaming and
    failures show. Figures that no result counts towards are left out."""
    rates = {name: value for name, value in figures.rates(results).items() if value is not None}
    shares = {f"status/{status}": value for status, value in figures.status_shares(results).items()}
    return {**rates, **shares}


def completion_text(completion: Any) -> str:
    """A TRL completion, plain (a string) or conversational (a list of messages)."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content") or "" for m in completion if m.get("role") == "assistant")


def scorer_reward(
    client: AsyncScoringClient, on_results: Callable[[list[dict]], None] | None = None
) -> Callable[..., Any]:
    """A TRL reward function that pays what the scoring server pays; None where it failed.

    Each batch's breakdown (batch_figures) goes to the trainer's metrics under `scorer/`
    when the trainer passes `log_metric` (TRL's GRPOTrainer does), and its raw results to
    on_results if given.
    """

    async def go_test_reward(
        completions: list[Any],
        repo: list[str],
        package: list[str],
        target_file: list[str | None] | None = None,
        target_function: list[str | None] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        n = len(completions)
        items = [
            {
                "repo": repo[i],
                "package": package[i],
                "completion": completion_text(completions[i]),
                "target_file": (target_file or [None] * n)[i],
                "target_function": (target_function or [None] * n)[i],
            }
            for i in range(n)
        ]
        results = await client.score(items)
        if on_results is not None:
            on_results(results)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            for name, value in batch_figures(results).items():
                log_metric(f"scorer/{name}", value)
        # `error` is the scorer failing, not the model: its reward is None so the sample is left
        # out, never learnt from as a 0.
        return [None if r["status"] == "error" else r["reward"] for r in results]

    return go_test_reward
