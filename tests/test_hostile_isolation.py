"""Generated tests that try to reach the host from inside the sandbox, scored by the real server.

The server is started as a careless launcher would leave it: with a directory descriptor (of a
folder anyone may write) and a connected socket that it does not close. Each attack must fail in
a way the test sees from the outside (the folder, the socket's other end), and the same server
must still score a good test exactly afterwards.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from conftest import SAMPLE_REPOS, tree_digest
from test_hostile import assert_still_scores, score

from scoring.client import ScoringClient
from scoring.local_server import LocalScoringServer

TOKEN = f"isolation-token-{uuid.uuid4().hex}"

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
def top():
    top = Path(tempfile.mkdtemp(prefix="gotestrl-isolation-"))
    try:
        top.chmod(0o755)
        yield top
    finally:
        shutil.rmtree(top)


@pytest.fixture(scope="module")
def repos(top):
    shutil.copytree(SAMPLE_REPOS, top / "repos")
    return top / "repos"


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
def server(repos, open_folder, socket_peer):
    port = str(socket_peer.getsockname()[1])
    launcher = [sys.executable, "-c", LEAKY_LAUNCHER, str(open_folder), port]
    with LocalScoringServer(
        repos, launcher=launcher, warmup="false", timeout_s="5", concurrency="2", token=TOKEN
    ) as live:
        yield live


@pytest.fixture(scope="module")
def peer(server, socket_peer):
    connection, _ = socket_peer.accept()
    connection.setblocking(False)
    with connection:
        yield connection


@pytest.fixture(scope="module")
def client(server):
    with ScoringClient(server.url, token=TOKEN, retries=0) as scoring:
        yield scoring


@pytest.fixture(autouse=True)
def repos_unchanged(repos):
    before = tree_digest(repos)
    yield
    assert tree_digest(repos) == before, "a repo changed on disk"


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
    # Today's fd 3 is the side channel of the cover profile, a pipe.
    assert "inherited descriptors: [0 1 2 3]\n" in result["detail"]
    assert "fd 3: pipe:[" in result["detail"]
    assert list(open_folder.iterdir()) == []
    with pytest.raises(BlockingIOError):
        peer.recv(64)  # nothing was written to the launcher's connection
    assert_still_scores(client)
