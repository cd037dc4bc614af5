"""Requests and generated tests that attack the server's own resources, against a real server.

What one run may take (time, memory, processes, output, build output), what a test may make the
server fetch and keep (modules, build cache), what one request may make it hold (body, memory) or
block (the event loop), and what one bad item may do to its batch. The
server gets its own copy of the build cache and an empty module cache, so that what it writes
there can be measured and nothing of an attack reaches the project's caches; its module proxy is
one of ours on loopback, serving modules written here and recording every request.
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

import gotools
from tests.scoring.hostile.attack import (
    AUTH,
    GOOD_TEST,
    MATHX,
    TOKEN,
    assert_still_scores,
    completion,
    good_item,
    score,
)

TIMEOUT_S = 5
FETCH_MB = 2
FETCH_TIMEOUT_S = 3
FETCH_MODULES = 4
SALT = f"gotestrl-module-salt-{uuid.uuid4().hex}"

# A module proxy of our own -----------------------------------------------------------------------


def module_zip(path: str, files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(f"{path}@v1.0.0/{name}", data)
    return out.getvalue()


def go_mod(path: str) -> bytes:
    return f"module {path}\n\ngo 1.22\n".encode()


MODULES = {
    # Imported for real, to be fetched: its code must never be compiled into the shared cache.
    "gotestrl.test/small": {
        "small.go": (
            "package small\n\n// Salt marks this module's compiled code.\n"
            f'var Salt = "{SALT}"\n\nfunc Double(x int) int {{ return 2 * x }}\n'
        ).encode(),
    },
    # Over the fetch's size cap: incompressible bytes, stored.
    "gotestrl.test/big": {
        "big.go": b"package big\n\nfunc One() int { return 1 }\n",
        "blob.bin": uuid.uuid4().bytes * (8 << 16),  # 8 MiB
    },
    # Each file under the size cap, but not its download and unpacked source together.
    "gotestrl.test/wide": {
        "wide.go": b"package wide\n\nfunc One() int { return 1 }\n",
        "blob.bin": uuid.uuid4().bytes * (5 << 14),  # 1.25 MiB
    },
    # Served a kilobyte at a time, slower than the fetch's time cap.
    "gotestrl.test/slow": {
        "slow.go": b"package slow\n\nfunc One() int { return 1 }\n",
        "blob.bin": uuid.uuid4().bytes * (4 << 10),  # 64 KiB
    },
}


class ModuleProxy:
    """A GOPROXY on loopback that serves MODULES at v1.0.0 and records every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        files: dict[str, bytes] = {}
        info = json.dumps({"Version": "v1.0.0", "Time": "2024-01-01T00:00:00Z"}).encode()
        for path, sources in MODULES.items():
            files[f"/{path}/@v/list"] = b"v1.0.0\n"
            files[f"/{path}/@latest"] = info
            files[f"/{path}/@v/v1.0.0.info"] = info
            files[f"/{path}/@v/v1.0.0.mod"] = go_mod(path)
            files[f"/{path}/@v/v1.0.0.zip"] = module_zip(path, {"go.mod": go_mod(path), **sources})
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.requests.append(self.path)
                body = files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                slow = self.path.startswith("/gotestrl.test/slow/") and self.path.endswith(".zip")
                try:
                    for at in range(0, len(body), 1024 if slow else len(body)):
                        self.wfile.write(body[at : at + (1024 if slow else len(body))])
                        if slow:
                            time.sleep(0.1)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetch was cut: what we are here to see

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def asked_for(self, text: str) -> list[str]:
        return [path for path in self.requests if text in path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# The server -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def caches(top):
    """(build cache, module cache) of the server: a copy of the project's, and an empty one."""
    build_cache, module_cache = top / "go-build", top / "gomod"
    shutil.copytree(gotools.go_env()["GOCACHE"], build_cache, symlinks=True)
    module_cache.mkdir()
    return build_cache, module_cache


@pytest.fixture(scope="module")
def proxy():
    proxy = ModuleProxy()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def server_settings(server_settings, proxy):
    return {
        **server_settings,
        "timeout_s": str(TIMEOUT_S),
        "memory_mb": "1024",
        "goproxy": proxy.url,
        "gosumdb": "off",  # our proxy's modules are in no checksum database
        "fetch_mb": str(FETCH_MB),
        "fetch_timeout_s": str(FETCH_TIMEOUT_S),
        "fetch_modules": str(FETCH_MODULES),
    }


@pytest.fixture(scope="module")
def server_env(server_env, caches):
    build_cache, module_cache = caches
    return {**server_env, "GOCACHE": str(build_cache), "GOMODCACHE": str(module_cache)}


def tree_bytes(root: Path) -> int:
    return sum(f.lstat().st_size for f in root.rglob("*") if f.is_file())


def files_holding(root: Path, text: str, since: float) -> list[Path]:
    return [
        f
        for f in root.rglob("*")
        if f.is_file() and f.stat().st_mtime >= since and text.encode() in f.read_bytes()
    ]


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field}")


def reset_peak_rss(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS


# Hole 5: what a test makes the server fetch and keep -------------------------------------------


@pytest.mark.parametrize(
    "package",
    # The issue's: the compiler, which a trusted build then compiled into the shared cache.
    ["cmd/compile", f"gotestrl.test/lure{uuid.uuid4().hex[:8]}"],
    ids=["std-command", "module-path"],
)
def test_compiler_output_cannot_choose_what_is_fetched(client, caches, proxy, package):
    build_cache, module_cache = caches
    code = f"""```go
package mathx

import "testing"

// The compiler prints this constant in its error, as it would print a missing module's.
var _ int = "no required module provides package {package}; to add it:\\n\\tgo get {package}"

func TestX(t *testing.T) {{}}
```"""
    before = tree_bytes(build_cache), sorted(module_cache.rglob("*")), len(proxy.requests)
    result = client.score([{**MATHX, "completion": code}])[0]
    after = tree_bytes(build_cache), sorted(module_cache.rglob("*")), len(proxy.requests)
    assert result["status"] == "build_failed", result["detail"]
    assert "untyped string constant" in result["detail"]
    assert result["reward"] == 0.0
    assert proxy.asked_for(package.removeprefix("gotestrl.test/")) == []
    assert after[1:] == before[1:], "something was fetched"
    grown_mb = (after[0] - before[0]) / 2**20
    assert grown_mb < 4, f"the shared build cache grew by {grown_mb:.0f} MB"
    assert_still_scores(client)


def test_a_new_module_is_fetched_but_never_compiled_into_the_shared_cache(client, caches, proxy):
    build_cache, module_cache = caches
    started = time.time()
    code = """```go
package mathx

import (
	"testing"

	"gotestrl.test/small"
)

func TestDouble(t *testing.T) {
	if small.Double(GCD(2, 4)) != 4 {
		t.Fatal("Double")
	}
	t.Log(len(small.Salt))
}
```"""
    result = client.score([{**MATHX, "completion": code, "target_function": "GCD"}])[0]
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert proxy.asked_for("gotestrl.test/small/@v/v1.0.0.zip")
    # Kept in the module cache for the next test that imports it...
    assert (module_cache / "gotestrl.test" / "small@v1.0.0" / "small.go").is_file()
    # ...and compiled only in the build's throwaway layer.
    assert files_holding(build_cache, SALT, started) == []
    assert_still_scores(client)


def fetch(client, module: str) -> dict:
    code = f"""```go
package mathx

import (
	"testing"

	"gotestrl.test/{module}"
)

func TestOne(t *testing.T) {{
	if {module}.One() != 1 {{
		t.Fatal("One")
	}}
}}
```"""
    return client.score([{**MATHX, "completion": code}])[0]


@pytest.mark.parametrize("module", ["big", "wide"])
def test_a_fetch_over_the_size_cap_is_cut_and_nothing_kept(client, caches, proxy, module):
    _, module_cache = caches
    result = fetch(client, module)
    assert result["status"] == "deps_failed", result["detail"]
    assert result["reward"] == 0.0
    assert f"over {FETCH_MB} MB" in result["detail"]
    assert proxy.asked_for(f"gotestrl.test/{module}/@v/v1.0.0.zip")  # it did try
    assert not [p for p in module_cache.rglob("*") if module in p.name]
    assert tree_bytes(module_cache) < FETCH_MB << 20
    assert_still_scores(client)


def test_a_fetch_over_the_time_cap_is_cut_and_nothing_kept(client, caches, proxy):
    _, module_cache = caches
    started = time.monotonic()
    result = fetch(client, "slow")
    elapsed = time.monotonic() - started
    assert result["status"] == "deps_failed", result["detail"]
    assert "took over" in result["detail"]
    assert proxy.asked_for("gotestrl.test/slow/@v/v1.0.0.zip")
    assert elapsed < FETCH_TIMEOUT_S + 5
    assert not [p for p in module_cache.rglob("*") if "slow" in p.name]
    assert_still_scores(client)


def test_more_new_imports_than_the_module_cap_fetch_nothing(client, proxy):
    names = [f"many{uuid.uuid4().hex[:8]}" for _ in range(FETCH_MODULES + 1)]
    imports = "\n".join(f'\t_ "gotestrl.test/{name}"' for name in names)
    code = f"""```go
package mathx

import (
	"testing"

{imports}
)

func TestX(t *testing.T) {{}}
```"""
    result = client.score([{**MATHX, "completion": code}])[0]
    assert result["status"] == "deps_failed", result["detail"]
    assert "SCORING_FETCH_MODULES" in result["detail"]
    assert not [p for p in proxy.requests if any(name in p for name in names)]
    assert_still_scores(client)


# Hole 6: a long path field ---------------------------------------------------------------------


def test_a_long_path_is_refused_at_once_and_the_server_stays_responsive(client, server):
    latencies: list[float] = []
    stop = threading.Event()

    def poll_health() -> None:
        with httpx.Client(timeout=120) as http:
            while not stop.is_set():
                started = time.monotonic()
                http.get(f"{server.url}/health")
                latencies.append(time.monotonic() - started)
                time.sleep(0.02)

    poller = threading.Thread(target=poll_health)
    poller.start()
    try:
        time.sleep(0.3)
        attack = [
            {**MATHX, "package": "a/" * 240000, "completion": completion(GOOD_TEST)},  # the issue's
            {
                **MATHX,
                "package": "./" * 240000,
                "completion": completion(GOOD_TEST),
            },  # an existing folder
            {
                "repo": "gotest-sample/" + "b/" * 240000,
                "package": ".",
                "completion": completion(GOOD_TEST),
            },
            {**MATHX, "target_file": "c" * 100000, "completion": completion(GOOD_TEST)},
            {**MATHX, "target_function": "F" * 100000, "completion": completion(GOOD_TEST)},
        ]
        started = time.monotonic()
        results = client.score(attack)
        elapsed = time.monotonic() - started
        time.sleep(0.3)
    finally:
        stop.set()
        poller.join()
    assert [r["status"] for r in results] == ["bad_request"] * len(attack)
    fields = ["package", "package", "repo", "target_file", "target_function"]
    for result, field in zip(results, fields, strict=True):
        assert result["detail"].startswith(f"{field}: String should have at most")
        assert result["reward"] == 0.0
    assert elapsed < 2, f"refusing took {elapsed:.1f}s"
    assert len(latencies) >= 10
    assert max(latencies) < 0.5, f"/health took up to {max(latencies):.1f}s during the attack"
    assert_still_scores(client)


# Hole 7: text that is not Unicode --------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["completion", "repo", "package", "target_file", "target_function"]
)
def test_a_lone_surrogate_refuses_its_item_alone(server, field):
    bad = {
        **good_item(),
        field: "\ud800" if field != "completion" else completion(GOOD_TEST) + "\ud800",
    }
    # ensure_ascii writes the lone surrogate as the JSON escape \ud800, as the issue sent it.
    body = json.dumps({"items": [bad, good_item()]})
    assert "\\ud800" in body
    response = httpx.post(
        f"{server.url}/score",
        content=body,
        headers={**AUTH, "content-type": "application/json"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    bad_result, good_result = response.json()["results"]
    assert bad_result["status"] == "bad_request"
    assert bad_result["reward"] == 0.0
    assert bad_result["detail"].startswith(f"{field}: ")
    assert "string" in bad_result["detail"] or "Unicode" in bad_result["detail"]
    assert good_result["status"] == "ok", good_result["detail"]
    assert good_result["reward"] == 1.0


def test_a_malformed_body_with_a_lone_surrogate_is_a_422_that_echoes_nothing(server):
    # No completion: malformed, and the error about it carries the item, surrogate and all.
    body = json.dumps({"items": [{"repo": "\ud800" + "x" * 100000, "package": "."}]})
    response = httpx.post(
        f"{server.url}/score",
        content=body,
        headers={**AUTH, "content-type": "application/json"},
        timeout=120,
    )
    assert response.status_code == 422, response.text[:300]
    assert len(response.content) < 2000
    locations = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert ("body", "items", 0, "completion") in locations


# Hole 8: an oversized body ---------------------------------------------------------------------

ATTACK_BYTES = 600 << 20


def send_body(url: str, headers: list[str], chunks, limit: int) -> tuple[bytes, int]:
    """Sends a request by hand, its body from chunks, while reading the answer beside it.

    Returns (the answer, body bytes the server took before it answered or closed).
    """
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    answer = bytearray()
    answered = threading.Event()

    def read() -> None:
        try:
            while data := sock.recv(65536):
                answer.extend(data)
                answered.set()
        except OSError:
            pass
        answered.set()

    reader = threading.Thread(target=read)
    reader.start()
    sent = 0
    try:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        for chunk in chunks:
            if answered.is_set() or sent >= limit:
                break
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the server closed the connection: as it should
    finally:
        reader.join(30)
        sock.close()
    return bytes(answer), sent


def body_chunks(total: int, chunked: bool):
    head = b'{"items": [{"repo": "gotest-sample/mathx", "completion": "'
    piece = b"x" * (1 << 20)
    frame = (lambda b: b"%x\r\n%b\r\n" % (len(b), b)) if chunked else (lambda b: b)
    yield frame(head)
    for _ in range(total >> 20):
        yield frame(piece)
    yield frame(b'"}]}')
    if chunked:
        yield b"0\r\n\r\n"


def request_headers(server, *extra: str) -> list[str]:
    return [
        "POST /score HTTP/1.1",
        f"Host: {server.url.removeprefix('http://')}",
        f"Authorization: Bearer {TOKEN}",
        "Content-Type: application/json",
        *extra,
    ]


def test_a_declared_oversized_body_is_refused_before_it_is_read(server):
    pid = server.proc.pid
    before = rss_kb(pid)
    reset_peak_rss(pid)
    started = time.monotonic()
    headers = request_headers(server, f"Content-Length: {ATTACK_BYTES + 62}")
    answer, sent = send_body(server.url, headers, body_chunks(ATTACK_BYTES, False), ATTACK_BYTES)
    elapsed = time.monotonic() - started
    grown_mb = (rss_kb(pid, "VmHWM") - before) / 1024
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"bytes per request" in answer
    assert elapsed < 10
    assert sent < 64 << 20, f"the server took {sent >> 20} MiB of the body"
    assert grown_mb < 32, f"the server's memory grew by {grown_mb:.0f} MB"
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200


def test_a_chunked_oversized_body_is_cut_at_the_cap(server):
    pid = server.proc.pid
    before = rss_kb(pid)
    reset_peak_rss(pid)
    headers = request_headers(server, "Transfer-Encoding: chunked")
    answer, sent = send_body(server.url, headers, body_chunks(ATTACK_BYTES, True), ATTACK_BYTES)
    grown_mb = (rss_kb(pid, "VmHWM") - before) / 1024
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    from scoring.models import MAX_BODY_BYTES

    # What it took is the cap, and what sat in the sockets' buffers between us.
    assert sent < MAX_BODY_BYTES + (64 << 20), f"the server took {sent >> 20} MiB"
    # It held at most the cap while counting: not the body, and not a parse of it.
    cap_mb = MAX_BODY_BYTES / 2**20
    assert grown_mb < cap_mb + 128, f"the server's memory grew by {grown_mb:.0f} MB"
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200


# Hole 9: memory that grows with bad lookups ----------------------------------------------------


def test_unknown_names_do_not_grow_the_server(server):
    pid = server.proc.pid
    batch_count, batch_size = 20, 1024
    with httpx.Client(timeout=300, headers=AUTH) as http:

        def send_batch(tag: str) -> None:
            items = []
            for i in range(batch_size):
                name = f"{tag}-{i}-{uuid.uuid4().hex[:8]}"
                items.append(
                    [
                        {"repo": f"nobody/{name}", "package": "."},  # an unknown repo
                        {**MATHX, "package": name},  # an unknown package of a known repo
                        {**MATHX, "package": "./" * (i % 64) + "stats/" + name},
                        {"repo": f"gotest-sample/./{'./' * (i % 64)}mathx", "package": "stats"},
                    ][i % 4]
                    | {"completion": "```go\n```"}
                )
            response = http.post(f"{server.url}/score", json={"items": items})
            assert response.status_code == 200, response.text
            statuses = {r["status"] for r in response.json()["results"]}
            assert statuses <= {"bad_request", "no_code"}, statuses

        # The remembered results (SCORING_CACHE_SIZE, bounded) fill up first.
        for warm in range(6):
            send_batch(f"warm{warm}")
        before = rss_kb(pid)
        for batch in range(batch_count):
            send_batch(f"b{batch}")
        grown_kb = rss_kb(pid) - before
    per_item = grown_kb * 1024 / (batch_count * batch_size)
    # The issue measured about 6.7 KB an item, for good.
    assert per_item < 512, f"{per_item:.0f} bytes an item ({grown_kb / 1024:.0f} MB in all)"


# What one run may take: time, memory, processes, output ---------------------------------------


def host_processes_with(marker: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone while we looked
            continue
        if marker in text:
            found.append(f"{cmdline.parent.name}: {text}")
    return found


def test_endless_loop_times_out(client):
    code = """package mathx

import "testing"

func TestForever(t *testing.T) {
	for i := 0; i < 4; i++ {
		go func() {
			for {
			}
		}()
	}
	for {
	}
}"""
    result = score(client, code)
    assert result["status"] == "timeout", result["detail"]
    assert result["reward"] == 0.0
    assert TIMEOUT_S <= result["duration_s"] < TIMEOUT_S + 5
    assert_still_scores(client)


def test_memory_bomb_is_killed(client):
    code = """package mathx

import "testing"

var hoard [][]byte

func TestHoard(t *testing.T) {
	for {
		chunk := make([]byte, 16<<20)
		for i := 0; i < len(chunk); i += 4096 { // a byte a page makes it resident, fast
			chunk[i] = 1
		}
		hoard = append(hoard, chunk)
	}
}"""
    result = score(client, code)
    assert result["status"] == "limit_exceeded", result["detail"]
    assert "memory" in result["detail"]
    assert result["reward"] == 0.0
    assert_still_scores(client)


def test_fork_bomb_is_contained(client):
    marker = f"gotestrl-forkbomb-{uuid.uuid4().hex}"
    code = f"""package mathx

import (
	"os/exec"
	"testing"
)

func TestForkBomb(t *testing.T) {{
	// Every process of the bomb is a fork of this shell, so its command line carries the marker.
	exec.Command("/bin/sh", "-c", "b() {{ b | b & }}; b; sleep 60", "{marker}").Run()
}}"""
    result = score(client, code)
    assert host_processes_with(marker) == []
    assert result["status"] == "limit_exceeded", result["detail"]
    assert "processes" in result["detail"]
    assert result["reward"] == 0.0
    assert subprocess.run(["true"], check=False).returncode == 0  # the host can still fork
    assert_still_scores(client)


def test_processes_left_behind_do_not_survive(client):
    marker = f"gotestrl-daemon-{uuid.uuid4().hex}"
    code = f"""package mathx

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const loop = "while :; do sleep 1; done"

func TestLeaveBehind(t *testing.T) {{
	// A new session, as setsid(1) makes...
	cmd := exec.Command("/bin/sh", "-c", loop, "{marker}-setsid")
	cmd.SysProcAttr = &syscall.SysProcAttr{{Setsid: true}}
	if err := cmd.Start(); err != nil {{
		t.Fatal(err)
	}}
	// ...and a daemon: double fork, orphaned, in its own session and process group.
	daemon := "setsid sh -c '" + loop + "' {marker}-daemon </dev/null >/dev/null 2>&1 &"
	if err := exec.Command("/bin/sh", "-c", daemon).Run(); err != nil {{
		t.Fatal(err)
	}}
	// The attack only counts if both are really running when the test ends.
	deadline := time.Now().Add(2 * time.Second)
	for {{
		alive := 0
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {{
			cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if strings.Contains(string(cmdline), "{marker}") {{
				alive++
			}}
		}}
		if alive >= 2 {{
			return
		}}
		if time.Now().After(deadline) {{
			t.Fatalf("only %d of the processes started", alive)
		}}
		time.Sleep(10 * time.Millisecond)
	}}
}}"""
    result = score(client, code)
    assert host_processes_with(marker) == []
    assert result["status"] == "ok", result["detail"]
    assert result["tests"]["passed"] == 1, result["detail"]  # both were running inside
    assert_still_scores(client)


def test_huge_output_is_cut_and_bounded(client, server):
    code = """package mathx

import (
	"os"
	"strings"
	"testing"
)

func TestFlood(t *testing.T) {
	line := strings.Repeat("flood ", 1<<16) + "\\n"
	for i := 0; i < 4096; i++ { // about 1.5 GiB
		os.Stdout.WriteString(line)
		os.Stderr.WriteString(line)
	}
}"""
    before = rss_kb(server.proc.pid, "VmHWM")
    result = score(client, code)
    grown_mb = (rss_kb(server.proc.pid, "VmHWM") - before) / 1024
    assert result["status"] == "limit_exceeded", result["detail"][:300]
    assert "output" in result["detail"]
    assert result["reward"] == 0.0
    assert len(result["detail"]) < 8192
    assert grown_mb < 64, f"the server's peak memory grew by {grown_mb:.0f} MB"
    assert_still_scores(client)


def test_huge_build_output_is_bounded(client, caches):
    started = time.time()
    code = """package mathx

import "testing"

// 300 MiB of initialised data: the compiler and linker would write files that large.
var big = [300 << 20]byte{300<<20 - 1: 1}

func TestBig(t *testing.T) {
	if big[len(big)-1] != 1 {
		t.Fatal("no")
	}
}"""
    result = score(client, code)
    assert result["status"] in ("build_failed", "limit_exceeded"), result["detail"]
    assert result["reward"] == 0.0
    assert result["assertions"] == 1
    cache, _ = caches
    written = [f for f in cache.rglob("*") if f.is_file() and f.stat().st_mtime >= started]
    # Nothing near the bomb's 300 MiB in the server's build cache.
    assert max((f.stat().st_size for f in written), default=0) < 200 << 20
    assert_still_scores(client)
