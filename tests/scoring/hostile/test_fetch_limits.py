"""What a generated test may make the server fetch and keep, against a real server.

Compiler output that names modules, a new module that must never be compiled into the shared
cache, fetches over the size, time and count caps. The server gets its own copy of the build
cache and an empty module cache, so that what it writes there can be measured and nothing of an
attack reaches the project's caches; its module proxy is one of ours on loopback, serving modules
written here and recording every request.
"""

from __future__ import annotations

import io
import json
import shutil
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import gotools
from tests.scoring.hostile.attack import MATHX, assert_still_scores

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
