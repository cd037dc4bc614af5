"""Generated tests that try to write or reach what a run must not, scored by the real server.

The repo, the caches and the host's /tmp (with the repos under the host's /tmp, the folders that
lead to them not writable inside), connections to the server itself and to the internet, and the
server's settings and token. Each attack must fail in a way the test sees from the outside (a
file, a socket, the repo's bytes); the Go code reports from inside the sandbox with the word
ESCAPED whenever something it must not be able to do worked. Afterwards the same server still
scores a good test exactly.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

import pytest

import gotools
from tests.scoring.hostile.attack import TOKEN, assert_still_scores, score


def test_writes_to_the_repo_and_caches_fail(client, repos):
    target = f"gotestrl-written-{uuid.uuid4().hex}"
    env = gotools.go_env()
    places = [
        "",  # the package folder, the test's working directory
        str(repos / "gotest-sample" / "mathx") + "/",
        str(repos / "gotest-sample") + "/",
        str(repos) + "/",
        str(repos.parent) + "/",
        env["GOCACHE"] + "/",
        env["GOMODCACHE"] + "/",
    ]
    code = f"""package mathx

import (
	"os"
	"testing"
)

func TestWrite(t *testing.T) {{
	for _, dir := range []string{{{", ".join(f'"{p}"' for p in places)}}} {{
		if err := os.WriteFile(dir+"{target}", []byte("x"), 0o666); err == nil {{
			t.Errorf("ESCAPED: wrote %s{target}", dir)
		}}
		if err := os.Mkdir(dir+"{target}.d", 0o777); err == nil {{
			t.Errorf("ESCAPED: made %s{target}.d", dir)
		}}
	}}
	if f, err := os.OpenFile("go.mod", os.O_WRONLY|os.O_APPEND, 0); err == nil {{
		f.Close()
		t.Error("ESCAPED: opened go.mod for writing")
	}}
	for i, attack := range []func() error{{
		func() error {{ return os.Chmod("mathx.go", 0o777) }},
		func() error {{ return os.Chtimes("mathx.go", time.Now(), time.Now()) }},
		func() error {{ return os.Rename("mathx.go", "moved.go") }},
		func() error {{ return os.Remove("mathx.go") }},
		func() error {{ return os.Symlink("/etc/passwd", "{target}.link") }},
		func() error {{ return os.Truncate("mathx.go", 0) }},
	}} {{
		if err := attack(); err == nil {{
			t.Errorf("ESCAPED: attack %d changed the package's files", i)
		}}
	}}
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert "ESCAPED" not in result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    for place in places:
        for suffix in ("", ".d"):
            assert not Path(
                (place or str(repos / "gotest-sample/mathx/")) + target + suffix
            ).exists()
    assert_still_scores(client)


def test_generated_code_never_reaches_the_build_cache(client):
    started = time.time()
    salt = f"gotestrl-cache-{uuid.uuid4().hex}"
    code = f"""package mathx

import "testing"

const salt = "{salt}"

func TestSalted(t *testing.T) {{
	if GCD(len(salt), 2) != 2 {{
		t.Fatal(salt)
	}}
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    cache = Path(gotools.go_env()["GOCACHE"])
    written = [f for f in cache.rglob("*") if f.is_file() and f.stat().st_mtime >= started]
    assert not [f for f in written if salt.encode() in f.read_bytes()]
    assert_still_scores(client)


def test_host_tmp_is_not_written(client, repos):
    name = f"gotestrl-tmp-{uuid.uuid4().hex}"
    # The folder that leads to the repos lies under the host's /tmp: inside, it is in the run's
    # private /tmp, so what matters is that nothing of the host's changes.
    places = ["/tmp/", "/dev/shm/", f"{repos.parent}/", f"{repos}/", "/scratch/"]
    code = f"""package mathx

import (
	"os"
	"testing"
)

func TestTmp(t *testing.T) {{
	for _, dir := range []string{{{", ".join(f'"{p}"' for p in places)}}} {{
		os.WriteFile(dir+"{name}", []byte("x"), 0o666)
	}}
	// TMPDIR is the private /tmp, which is also where Go looks without an environment.
	for _, clear := range []bool{{false, true}} {{
		if clear {{
			os.Clearenv()
		}}
		if err := os.WriteFile(os.TempDir()+"/{name}", []byte("x"), 0o666); err != nil {{
			t.Fatal(err)
		}}
		if _, err := os.Stat(os.TempDir() + "/{name}"); err != nil {{
			t.Fatal(err)
		}}
		t.Log("TMPDIR is", os.TempDir())
	}}
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"]["passed"] == 1, result["detail"]  # the private /tmp works
    assert result["detail"].count("TMPDIR is /tmp\n") == 2
    for place in places:
        assert not os.path.exists(place + name)
    assert_still_scores(client)


def test_no_network_not_even_loopback(client, server):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        own_port = server.url.rsplit(":", 1)[1]
        addresses = [f"127.0.0.1:{own_port}", f"127.0.0.1:{listener.getsockname()[1]}"]
        addresses += ["[::1]:" + own_port, "1.1.1.1:80", "8.8.8.8:53", "proxy.golang.org:443"]
        code = f"""package mathx

import (
	"net"
	"testing"
	"time"
)

func TestDial(t *testing.T) {{
	for _, address := range []string{{{", ".join(f'"{a}"' for a in addresses)}}} {{
		if conn, err := net.DialTimeout("tcp", address, time.Second); err == nil {{
			conn.Close()
			t.Errorf("ESCAPED: connected to %s", address)
		}}
	}}
	if conn, err := net.DialTimeout("udp", "8.8.8.8:53", time.Second); err == nil {{
		if _, err := conn.Write([]byte("x")); err == nil {{
			t.Error("ESCAPED: sent a UDP packet")
		}}
		conn.Close()
	}}
	if addrs, err := net.LookupHost("proxy.golang.org"); err == nil {{
		t.Errorf("ESCAPED: resolved %v", addrs)
	}}
}}"""
        result = score(client, code)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    assert result["status"] == "ok", result["detail"]
    assert "ESCAPED" not in result["detail"]
    assert result["tests"]["passed"] == 1
    assert_still_scores(client)


def test_no_secrets_in_reach(client):
    code = """package mathx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	fmt.Println("own environment:", os.Environ())
	for _, name := range os.Environ() {
		if strings.HasPrefix(name, "SCORING_") {
			t.Errorf("ESCAPED: %s", name)
		}
	}
	files, _ := filepath.Glob("/proc/*/environ")
	more, _ := filepath.Glob("/proc/*/cmdline")
	read := 0
	for _, path := range append(files, more...) {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		read++
		fmt.Printf("%s: %q\\n", path, data)
		if strings.Contains(string(data), "SCORING_") {
			t.Errorf("ESCAPED: %s names the server's settings", path)
		}
	}
	if read == 0 {
		t.Fatal("read no /proc file: the attack did not run")
	}
}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"]["passed"] == 1, result["detail"]
    assert "own environment: [HOME=/tmp TMPDIR=/tmp PATH=/usr/bin:/bin" in result["detail"]
    assert TOKEN not in result["detail"]
    assert "ESCAPED" not in result["detail"]
    assert_still_scores(client)
