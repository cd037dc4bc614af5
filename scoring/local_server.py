"""A scoring server started on loopback for the length of a `with` block (the demo, the tests).

    with LocalScoringServer(repos_dir) as server:
        client = ScoringClient(server.url)

It runs `fastapi run scoring/scoring_server.py` exactly as the README does, in its own process
group, and is stopped on leaving the block, whether it ends normally, on an error or on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


class ScorerStartError(RuntimeError):
    """The server exited or did not become healthy; the message holds the end of its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalScoringServer:
    def __init__(
        self,
        repos_dir: Path,
        *,
        log_path: Path | None = None,
        start_timeout_s: float = 120,
        launcher: Sequence[str] = (),
        **settings: str,
    ) -> None:
        """settings are SCORING_* variables without the prefix: timeout_s="5", warmup="false".

        launcher, when given, is a command that the server's command line is appended to (the
        hostile tests start the server through one that leaves descriptors open).
        """
        self.launcher = list(launcher)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.repos_dir = Path(repos_dir).resolve()
        self.log_path = log_path or ROOT / "logs" / f"scorer-{self.port}.log"
        self.start_timeout_s = start_timeout_s
        self.env = {
            **os.environ,
            "SCORING_REPOS_DIR": str(self.repos_dir),
            **{f"SCORING_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> LocalScoringServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "fastapi", "run", "scoring/scoring_server.py"]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [*self.launcher, *command, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for us is ours to pass on, once
            )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise ScorerStartError(f"the scoring server exited:\n{self.log_tail()}")
            try:
                health = httpx.get(f"{self.url}/health", timeout=2)
                if health.status_code == 200:
                    return
                if health.status_code == 503:
                    self.stop()
                    raise ScorerStartError(f"the scoring server cannot score: {health.text}")
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ScorerStartError(
            f"the scoring server was not healthy after {self.start_timeout_s:.0f}s:\n"
            f"{self.log_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM for a clean shutdown (its lifespan removes its work folder), then SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def kill(self) -> None:
        """Dies at once, as a crashed server would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
