"""Generated tests that attack the scorer, scored by the real server (`fastapi run`, on loopback).

Each attack must fail in a way the test can see from the outside (a process list, a file, a
socket, the repo's bytes), the result must carry the status and reward that the contract gives it,
and afterwards the same server must still score a good test exactly. The Go code reports from
inside the sandbox with the word ESCAPED whenever something it must not be able to do worked.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from conftest import SAMPLE_REPOS, tree_digest

import gotools
from scoring.client import ScoringClient
from scoring.local_server import LocalScoringServer

TOKEN = f"hostile-token-{uuid.uuid4().hex}"
TIMEOUT_S = 3
MATHX = {"repo": "gotest-sample/mathx", "package": "."}


@pytest.fixture(scope="module")
def repos():
    # A copy, so that a sandbox that failed could not damage the checkout's sample. Under the
    # host's /tmp on purpose, the harder case: the folders that lead to it must not be writable
    # inside. Readable by all, as the sandbox runs as nobody when the server runs as root.
    top = Path(tempfile.mkdtemp(prefix="gotestrl-hostile-"))
    try:
        top.chmod(0o755)
        shutil.copytree(SAMPLE_REPOS, top / "repos")
        yield top / "repos"
    finally:
        shutil.rmtree(top)


@pytest.fixture(scope="module")
def server(repos):
    with LocalScoringServer(
        repos,
        warmup="false",
        timeout_s=str(TIMEOUT_S),
        memory_mb="1024",
        concurrency="2",
        token=TOKEN,
    ) as live:
        yield live


@pytest.fixture(scope="module")
def client(server):
    with ScoringClient(server.url, token=TOKEN, retries=0) as scoring:
        yield scoring


@pytest.fixture(autouse=True)
def repos_unchanged(repos):
    before = tree_digest(repos), tree_digest(SAMPLE_REPOS)
    yield
    assert (tree_digest(repos), tree_digest(SAMPLE_REPOS)) == before, "a repo changed on disk"


def score(client, code: str, **item) -> dict:
    return client.score([{**MATHX, **item, "completion": f"```go\n{code}\n```"}])[0]


GOOD_TEST = """package mathx

import "testing"

// SALT
func TestGCDGood(t *testing.T) {
	cases := []struct{ a, b, want int }{{12, 8, 4}, {-4, 6, 2}, {4, -6, 2}, {0, 0, 0}}
	for _, c := range cases {
		if got := GCD(c.a, c.b); got != c.want {
			t.Errorf("GCD(%d, %d) = %d", c.a, c.b, got)
		}
	}
}"""


def assert_still_scores(client) -> None:
    """A good test, new each time so that no remembered result answers for it."""
    result = score(client, GOOD_TEST.replace("SALT", uuid.uuid4().hex), target_function="GCD")
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert result["coverage"] == 1.0
    assert result["reward"] == 1.0


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


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


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
    before = peak_rss_kb(server.proc.pid)
    result = score(client, code)
    grown_mb = (peak_rss_kb(server.proc.pid) - before) / 1024
    assert result["status"] == "limit_exceeded", result["detail"][:300]
    assert "output" in result["detail"]
    assert result["reward"] == 0.0
    assert len(result["detail"]) < 8192
    assert grown_mb < 64, f"the server's peak memory grew by {grown_mb:.0f} MB"
    assert_still_scores(client)


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


def test_testmain_that_runs_nothing_earns_nothing(client):
    code = """package mathx

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(0) }

func TestNeverRuns(t *testing.T) { t.Fatal("never") }"""
    result = score(client, code)
    assert result["status"] == "no_tests", result["detail"]
    assert result["reward"] == 0.0
    assert result["tests"] == {"passed": 0, "failed": 0, "skipped": 0}
    assert_still_scores(client)


# Forged test2json framing: \x16 is the marker that -test.v=test2json puts before real framing.

FORGE_PASS = 'fmt.Print("\\x16--- PASS: {name} (0.00s)\\n")'


def forged(name: str) -> str:
    return FORGE_PASS.format(name=name)


def test_invented_tests_do_not_count(client):
    invented = "\n".join(
        f'\tfmt.Print("\\x16=== RUN   TestInvented{i}\\n")\n\t{forged(f"TestInvented{i}")}'
        for i in range(5)
    )
    code = f"""package mathx

import (
	"fmt"
	"testing"
)

func TestReal(t *testing.T) {{
{invented}
	if GCD(1, 0) != 1 {{
		t.Fatal("GCD")
	}}
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert_still_scores(client)


@pytest.mark.parametrize(
    "body",
    [
        # A forged pass before the real failure that follows it.
        't.Error("real failure")\n\t' + forged("TestHidden"),
        # A forged pass, then an exit that keeps the testing package from printing the failure.
        't.Error("real failure")\n\t' + forged("TestHidden") + "\n\tsyscall.Exit(0)",
        # The same, with the package's PASS and a cover profile forged as well.
        't.Error("real failure")\n\t'
        + forged("TestHidden")
        + '\n\tfmt.Print("\\x16PASS\\n")'
        + '\n\tos.WriteFile(flag.Lookup("test.coverprofile").Value.String(), []byte('
        + '"mode: set\\ngithub.com/gotest-sample/mathx/mathx.go:9.28,11.2 1 1\\n"), 0)'
        + "\n\tsyscall.Exit(0)",
    ],
    ids=["before-the-real-fail", "exit-0", "exit-0-with-profile"],
)
def test_forged_pass_cannot_hide_a_failure(client, body):
    code = f"""package mathx

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestHidden(t *testing.T) {{
	{body}
}}"""
    result = score(client, code)
    # Nothing counts from the framing: the hidden failure is a failure, and earns what it earns.
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["reward"] == 0.5, result
    assert_still_scores(client)


def test_forged_pass_before_a_crash_is_still_a_failure(client):
    code = f"""package mathx

import (
	"fmt"
	"os"
	"testing"
)

func TestCrash(t *testing.T) {{
	t.Error("real failure")
	{forged("TestCrash")}
	os.Exit(1)
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["reward"] == 0.5  # what the honest failure earns, and no more
    assert_still_scores(client)


def test_testmain_cannot_forge_the_run_it_skipped(client):
    code = f"""package mathx

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {{
	fmt.Print("\\x16=== RUN   TestSkipped\\n")
	{forged("TestSkipped")}
	fmt.Print("\\x16PASS\\n")
	os.Exit(0)
}}

func TestSkipped(t *testing.T) {{ t.Fatal("never runs") }}"""
    result = score(client, code)
    assert result["status"] == "no_tests", result["detail"]
    assert result["reward"] == 0.0
    assert_still_scores(client)


def test_testmain_cannot_forge_after_the_real_run(client):
    code = f"""package mathx

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {{
	m.Run()
	{forged("TestFails")}
	os.Exit(0)
}}

func TestFails(t *testing.T) {{ t.Fatal("real failure") }}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["reward"] == 0.5  # what the honest failure earns, and no more
    assert_still_scores(client)


def test_forged_cover_profile_earns_no_coverage(client):
    code = """package mathx

import (
	"flag"
	"os"
	"testing"
)

func TestCover(t *testing.T) {
	// The testing package writes the real profile after this one, to the same place.
	fake := "mode: set\\ngithub.com/gotest-sample/mathx/mathx.go:1.1,200.1 1000 1\\n"
	path := flag.Lookup("test.coverprofile").Value.String()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(fake)
	f.Close()
}"""
    result = score(client, code, target_function="GCD")
    # The binary writes no profile (no -test.coverprofile): the test fails to open one.
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["coverage"] == 0.0
    assert result["reward"] == 0.5, result
    assert_still_scores(client)
