"""Generated tests that take more than one run may have, against a real server: time, memory,
processes, processes left behind, output and build output. Each is cut at its limit with the
status and reward that the contract gives it, nothing of it survives on the host, and the same
server still scores a good test exactly afterwards.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

import gotools
from tests.scoring.hostile.attack import assert_still_scores, rss_kb, score

TIMEOUT_S = 5


@pytest.fixture(scope="module")
def server_settings(server_settings):
    return {**server_settings, "timeout_s": str(TIMEOUT_S), "memory_mb": "1024"}


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


def test_huge_build_output_is_bounded(client):
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
    cache = Path(gotools.go_env()["GOCACHE"])
    written = [f for f in cache.rglob("*") if f.is_file() and f.stat().st_mtime >= started]
    # Nothing near the bomb's 300 MiB (other builds on the machine may write the cache meanwhile).
    assert max((f.stat().st_size for f in written), default=0) < 200 << 20
    assert_still_scores(client)
