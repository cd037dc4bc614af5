"""Generated tests that try to reach the host from inside the sandbox, scored by the real server.

The server is started as a careless launcher would leave it: with a directory descriptor (of a
folder anyone may write) and a connected socket that it does not close. Its repos root lies in a
folder that only the server's user may enter (mode 0700, as a home folder), so the sandbox's tools
and mounts must work from there while the run itself is another, unprivileged user. Each attack
must fail in a way the test sees from the outside (a process list, a folder, a file, the
socket's other end, the repo's bytes), and the same server must still score a good test exactly
afterwards. The Go code reports from inside the sandbox with the word ESCAPED whenever something
it must not be able to do worked: write the repo, the caches or the host's /tmp, connect to the
server or the internet, read the server's settings.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
import time
import uuid
from pathlib import Path

import pytest

import gotools
from scoring import machine, seccomp
from tests.scoring.hostile.attack import TOKEN, assert_still_scores, score

# Opens a directory and a connection without close-on-exec, then execs the server.
LEAKY_LAUNCHER = """
import os, socket, sys
directory = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.set_inheritable(directory, True)
connection = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
connection.set_inheritable(True)
os.execv(sys.argv[3], sys.argv[3:])
"""


@pytest.fixture(scope="module")
def top_mode() -> int:
    """A private folder, as a home folder is: only the server's user may enter it."""
    return 0o700


@pytest.fixture(scope="module")
def open_folder(top):
    """The folder the launcher leaves open: anyone may write it; only the descriptor guards it."""
    folder = top / "left-open"
    folder.mkdir()
    folder.chmod(0o777)
    return folder


@pytest.fixture(scope="module")
def socket_peer():
    """The far end of the connection that the launcher leaves open."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener


@pytest.fixture(scope="module")
def launcher(open_folder, socket_peer) -> list[str]:
    port = str(socket_peer.getsockname()[1])
    return [sys.executable, "-c", LEAKY_LAUNCHER, str(open_folder), port]


@pytest.fixture(scope="module")
def peer(server, socket_peer):
    connection, _ = socket_peer.accept()
    connection.setblocking(False)
    with connection:
        yield connection


def test_only_the_runs_own_descriptors_reach_it(client, open_folder, peer):
    name = f"gotestrl-fd-{uuid.uuid4().hex}"
    code = f"""package mathx

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

// Probed when the package initialises, before the testing package opens anything of its own.
var inherited = func() (fds []int) {{
	var st syscall.Stat_t
	for fd := 0; fd < 4096; fd++ {{
		if syscall.Fstat(fd, &st) == nil {{
			fds = append(fds, fd)
		}}
	}}
	return fds
}}()

func TestDescriptors(t *testing.T) {{
	escapes := []string{{"../../../etc/hostname", "../../../../../../etc/hostname", "."}}
	fmt.Printf("inherited descriptors: %v\\n", inherited)
	for _, fd := range inherited {{
		target, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		fmt.Printf("fd %d: %s\\n", fd, target)
		if fd <= 2 {{
			continue
		}}
		for _, path := range escapes {{
			if f, err := syscall.Openat(fd, path, syscall.O_RDONLY, 0); err == nil {{
				var buf [256]byte
				n, _ := syscall.Read(f, buf[:])
				n = max(n, 0) // -1 for a folder
				t.Errorf("ESCAPED: opened %s through fd %d: %q", path, fd, buf[:n])
			}}
		}}
		created, err := syscall.Openat(fd, "{name}", syscall.O_CREAT|syscall.O_WRONLY, 0o666)
		if err == nil {{
			syscall.Close(created)
			t.Errorf("ESCAPED: created a file through fd %d", fd)
		}}
		if fd != 3 {{ // 3 is the run's own channel
			if _, err := syscall.Write(fd, []byte("ESCAPED")); err == nil {{
				t.Errorf("ESCAPED: wrote to fd %d (%s)", fd, target)
			}}
		}}
	}}
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert "ESCAPED" not in result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}, result["detail"]
    # fd 3 is the run's shared memory: the package maps and closes it in its first variable
    # initialiser, before any initialiser of the test's own runs.
    assert "inherited descriptors: [0 1 2]\n" in result["detail"]
    assert list(open_folder.iterdir()) == []
    with pytest.raises(BlockingIOError):
        peer.recv(64)  # nothing was written to the launcher's connection
    assert_still_scores(client)


def test_a_repos_root_in_a_private_folder_scores(client, top):
    assert stat.S_IMODE(top.stat().st_mode) == 0o700
    assert_still_scores(client)


def test_nothing_of_the_server_users_is_written(client, top, repos):
    """Folders the server's user owns, some of which it mounts: the run is not that user."""
    name = f"gotestrl-written-{uuid.uuid4().hex}"
    places = [
        top,
        repos,
        repos / "gotest-sample" / "mathx",
        gotools.ROOT,
        gotools.CACHE_DIR,
        gotools.CACHE_DIR / "work",
        gotools.goroot(),
        Path(gotools.go_env()["GOCACHE"]),
        Path.home(),
    ]
    code = f"""package mathx

import (
	"os"
	"testing"
)

func TestWrite(t *testing.T) {{
	for _, dir := range []string{{{", ".join(f'"{p}/"' for p in places)}}} {{
		if err := os.WriteFile(dir+"{name}", []byte("x"), 0o666); err == nil {{
			t.Errorf("ESCAPED: wrote %s{name}", dir)
		}}
		if err := os.Mkdir(dir+"{name}.d", 0o777); err == nil {{
			t.Errorf("ESCAPED: made %s{name}.d", dir)
		}}
	}}
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert "ESCAPED" not in result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}, result["detail"]
    for place in places:
        assert not (place / name).exists()
        assert not (place / f"{name}.d").exists()
    assert_still_scores(client)


def test_the_test_binary_and_its_process_memory_are_out_of_reach(client):
    """The binary is execute-only: its process is not dumpable, so /proc/self is root's."""
    code = """package mathx

import (
	"fmt"
	"os"
	"testing"
)

func TestReadSelf(t *testing.T) {
	exe, _ := os.Executable()
	fmt.Println("executable:", exe)
	for _, path := range []string{exe, "/sandbox/pkg.test", "/proc/self/exe", "/proc/self/mem",
		"/proc/self/environ", "/proc/self/auxv"} {
		f, err := os.Open(path)
		if err != nil {
			fmt.Println("refused:", path)
			continue
		}
		var buf [64]byte
		if n, err := f.Read(buf[:]); err == nil {
			t.Errorf("ESCAPED: read %d bytes of %s", n, path)
		}
		f.Close()
	}
	f, err := os.OpenFile("/proc/self/mem", os.O_WRONLY, 0)
	if err == nil {
		f.Close()
		t.Error("ESCAPED: opened /proc/self/mem for writing")
	}
}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert "ESCAPED" not in result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}, result["detail"]
    for path in ("/sandbox/pkg.test", "/proc/self/exe", "/proc/self/mem", "/proc/self/environ"):
        assert f"refused: {path}\n" in result["detail"]
    assert_still_scores(client)


def test_the_run_sees_an_ordinary_machine_and_none_of_the_hosts(client):
    code = """package mathx

import (
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/user"
	"testing"
	"time"
)

func TestMachine(t *testing.T) {
	id, err := os.ReadFile("/etc/machine-id")
	fmt.Printf("machine-id: %s %v\\n", id, err)
	host, err := os.Hostname()
	fmt.Println("hostname:", host, err)
	if me, err := user.Current(); err == nil {
		group, err := user.LookupGroupId(me.Gid)
		fmt.Println("user:", me.Username, me.Uid, me.HomeDir, group.Name, err)
	} else {
		fmt.Println("user:", err)
	}
	addrs, err := net.LookupHost("localhost")
	fmt.Println("localhost:", addrs, err)
	zone, _ := time.Now().Zone()
	fmt.Println("zone:", zone)
	paris, err := time.LoadLocation("Europe/Paris")
	fmt.Println("location:", paris, err)
	pool, err := x509.SystemCertPool()
	fmt.Println("certificates:", err == nil && !pool.Equal(x509.NewCertPool()))
	for _, secret := range []string{"/etc/shadow", "/etc/ssh", "/etc/ssl/private", "/root"} {
		if _, err := os.Stat(secret); err == nil {
			t.Errorf("ESCAPED: %s is there", secret)
		}
	}
}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert "ESCAPED" not in result["detail"]
    detail = result["detail"]
    assert f"machine-id: {machine.MACHINE_ID}\n <nil>\n" in detail
    assert f"hostname: {machine.HOSTNAME} <nil>\n" in detail
    if os.geteuid() == 0:
        assert "user: nobody 65534 /tmp nogroup <nil>\n" in detail
    else:
        assert f"user: {machine.RUN_USER} {os.geteuid()} /tmp {machine.RUN_USER} <nil>\n" in detail
    assert "localhost: [127.0.0.1 ::1] <nil>\n" in detail
    assert "zone: UTC\n" in detail
    assert "location: Europe/Paris <nil>\n" in detail
    if Path("/etc/ssl/certs").is_dir():
        assert "certificates: true\n" in detail
    assert_still_scores(client)


def test_a_test_that_clears_its_environment_keeps_its_coverage(client):
    """Without TMPDIR, Go's temporary folder is /tmp: the coverage data still has a place."""
    code = """package mathx

import (
	"os"
	"testing"
)

func TestClearenv(t *testing.T) {
	os.Clearenv()
	if GCD(12, 8) != 4 || GCD(-4, 6) != 2 || GCD(4, -6) != 2 || GCD(0, 0) != 0 {
		t.Fatal("GCD")
	}
}"""
    result = score(client, code, target_function="GCD")
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}, result["detail"]
    assert result["coverage"] == 1.0, result["detail"]
    assert_still_scores(client)


def test_no_process_reads_or_writes_another_ones_memory(client):
    """ptrace of a child: refused by the sandbox's seccomp; process_vm_writev on itself needs a raw
    system call, which the harness refuses before the build (tests/scoring/test_sandbox.py probes
    the seccomp filter's refusal of it directly)."""
    code = """package mathx

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
)

func TestMemory(t *testing.T) {
	child := exec.Command("/bin/sleep", "5")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	if err := syscall.PtraceAttach(child.Process.Pid); err != syscall.EPERM {
		t.Errorf("ESCAPED: ptrace of a child: %v", err)
	}
	_, err := syscall.ForkExec("/bin/true", nil, &syscall.ProcAttr{
		Sys: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER},
	})
	fmt.Println("new user namespace:", err)
}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert "ESCAPED" not in result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}, result["detail"]
    assert "new user namespace: operation not permitted\n" in result["detail"]

    writev = seccomp.number("process_vm_writev")  # not in Go's syscall package
    code = f"""package mathx

import (
	"syscall"
	"testing"
	"unsafe"
)

var target = []byte("untouched")

func TestMemory(t *testing.T) {{
	source := []byte("forged!!!")
	local := syscall.Iovec{{Base: &source[0], Len: uint64(len(source))}}
	remote := syscall.Iovec{{Base: &target[0], Len: uint64(len(target))}}
	_, _, errno := syscall.Syscall6({writev}, uintptr(syscall.Getpid()),
		uintptr(unsafe.Pointer(&local)), 1, uintptr(unsafe.Pointer(&remote)), 1, 0)
	if errno != syscall.EPERM || string(target) != "untouched" {{
		t.Errorf("ESCAPED: process_vm_writev: %v, %q", errno, target)
	}}
}}"""
    result = score(client, code)
    assert result["status"] == "build_failed", result["detail"]
    assert "syscall.Syscall6 is not allowed" in result["detail"]
    assert result["reward"] == 0.0
    assert_still_scores(client)


# What one run may write or reach: the repo, the caches, /tmp, the network, secrets --------------


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
