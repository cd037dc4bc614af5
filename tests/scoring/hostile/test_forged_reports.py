"""Generated tests that forge their own measurements, scored by the real server (`fastapi run`).

Coverage and test results come from memory that only the scorer's own code in the build writes
(scoring/report.py). Each attack here tries to raise its reward without earning it: by a TestMain
that runs nothing or forges the run, invented or forged test2json lines, the cover profile, the
coverage counters, an exit behind the testing package's back, a second run, a copy of the
binary, raw memory access, or the shared memory itself. Each must gain nothing: a target it never
calls keeps coverage 0, a hidden failure counts as failed, and a forbidden construct never runs.
Afterwards the same server still scores a good test exactly.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest

import gotools
from tests.scoring.hostile.attack import assert_still_scores, score

# A function that none of the attacks calls: its coverage must stay 0.
UNCALLED = {"target_function": "IsPrime"}
# What a test that passes and covers nothing of the target honestly earns.
HONEST_PASS = 0.8
# What a test that fails and covers nothing earns.
HONEST_FAIL = 0.5


def assert_gains_nothing(result: dict, honest: float) -> None:
    assert result["coverage"] in (None, 0.0), result
    assert result["reward"] <= honest, result


def test_hole_1_testmain_rewrites_the_cover_profile(client):
    code = """package mathx

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	flag.Parse()
	side := flag.Lookup("test.coverprofile").Value.String()
	flag.Set("test.coverprofile", os.TempDir()+"/real.out")
	code := m.Run()
	real, _ := os.ReadFile(os.TempDir() + "/real.out")
	os.WriteFile(side, bytes.ReplaceAll(real, []byte(" 0\\n"), []byte(" 1\\n")), 0)
	os.Exit(code)
}

func TestNothing(t *testing.T) {}"""
    result = score(client, code, **UNCALLED)
    assert_gains_nothing(result, HONEST_PASS)
    assert_still_scores(client)


def test_hole_2_counters_named_after_the_import_path(client):
    # go test -cover names the counters after the import path's hash; IsPrime's are __1.
    digest = hashlib.sha256(b"github.com/gotest-sample/mathx").hexdigest()[:12]
    code = f"""package mathx

import "testing"

func TestForge(t *testing.T) {{
	c := &goCover_{digest}__1
	c[0] = uint32(len(c) - 3)
	c[1] = goCover_{digest}_P
	c[2] = 1
	for i := 3; i < len(c); i++ {{
		c[i] = 1
	}}
}}"""
    result = score(client, code, **UNCALLED)
    assert_gains_nothing(result, HONEST_PASS)
    assert result["status"] == "build_failed", result["detail"]
    assert f"goCover_{digest}__1" in result["detail"]  # no such name in the build
    assert_still_scores(client)


def test_hole_3_failure_hidden_behind_the_escape(client):
    code = """package mathx

import (
	"fmt"
	"testing"
)

func TestHidden(t *testing.T) {
	t.Error("real failure")
	fmt.Print("\\x16--- PASS: TestHidden (0.00s)\\n")
	fmt.Print("swallowed\\x1b")
}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["reward"] == pytest.approx(HONEST_FAIL + 0.2 * result["coverage"])
    assert_still_scores(client)


@pytest.mark.parametrize("exit_call", ["syscall.Exit(0)", "os.Exit(0)"])
def test_forged_framing_then_exit_mid_run(client, exit_call):
    code = f"""package mathx

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

var _, _ = os.Exit, syscall.Exit

func TestExits(t *testing.T) {{
	t.Error("real failure")
	fmt.Print("\\x16--- PASS: TestExits (0.00s)\\n\\x16PASS\\n")
	fmt.Print("\\x16coverage: 100.0% of statements\\n")
	{exit_call}
}}

func TestAfter(t *testing.T) {{ IsPrime(7) }}"""
    result = score(client, code, **UNCALLED)
    assert result["status"] == "ok", result["detail"]
    # The test that exited failed, whatever it printed; the one after it never ran.
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["coverage"] == 0.0
    assert result["reward"] == HONEST_FAIL
    assert_still_scores(client)


def test_testmain_running_the_tests_twice_is_untrusted(client):
    code = """package mathx

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	m.Run()
	os.Exit(m.Run())
}

func TestTwice(t *testing.T) {
	if GCD(2, 4) != 2 {
		t.Fatal("GCD")
	}
}"""
    result = score(client, code)
    assert result["status"] == "no_tests", result["detail"]
    assert result["reward"] == 0.0
    assert "started 2 times" in result["detail"]
    assert_still_scores(client)


def test_a_copy_of_the_binary_reports_nowhere(client):
    """The test runs its own binary again, handing it a memory of its own as descriptor 3."""
    code = """package mathx

import (
	"encoding/binary"
	"os"
	"os/exec"
	"testing"
)

func TestParent(t *testing.T) {
	if os.Getenv("FORGERY_CHILD") != "" {
		for n := 0; n < 100; n++ {
			IsPrime(n) // covers the target, in the child only
		}
		return
	}
	// A memory laid out as the server's, offered to the child: it maps this one, not ours.
	words := make([]uint32, 4+2+200)
	words[0], words[2], words[3] = 0x6c727467, 1, 200
	forged, err := os.CreateTemp("", "forged")
	if err != nil {
		t.Fatal(err)
	}
	binary.Write(forged, binary.NativeEndian, words)
	cmd := exec.Command(os.Args[0], "-test.run=^TestParent$", "-test.v")
	cmd.Env = append(os.Environ(), "FORGERY_CHILD=1")
	cmd.ExtraFiles = []*os.File{forged}
	out, err := cmd.CombinedOutput()
	t.Logf("child: %v\\n%s", err, out)
	if err != nil {
		t.Fatal("the child did not run: the attack did not happen")
	}
}"""
    result = score(client, code, **UNCALLED)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert "--- PASS: TestParent" in result["detail"]  # the child ran it
    assert result["coverage"] == 0.0
    assert result["reward"] == HONEST_PASS
    assert_still_scores(client)


@pytest.mark.parametrize(
    ("imports", "body", "why"),
    [
        (
            '"unsafe"',
            "var x [4]uint32\n\tp := (*[1 << 20]uint32)(unsafe.Pointer(&x))\n\t_ = p",
            "unsafe",
        ),
        (
            '_ "unsafe"',
            "_ = nanotime()",
            "//go:linkname",
        ),
        ('"reflect"', "x := 1\n\t_ = reflect.ValueOf(&x).UnsafePointer()", "UnsafePointer"),
        ('"reflect"', "x := 1\n\t_ = reflect.NewAt(reflect.TypeOf(x), nil)", "reflect.NewAt"),
        ('"syscall"', "syscall.Syscall(syscall.SYS_WRITE, 1, 0, 0)", "syscall.Syscall"),
        ('s "syscall"', "f := s.RawSyscall6\n\t_ = f", "syscall.RawSyscall6"),
        ('"golang.org/x/sys/unix"', "unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0)", "x/sys/unix"),
    ],
    ids=["unsafe", "linkname", "unsafe-pointer", "new-at", "syscall", "raw-syscall", "x-sys-unix"],
)
def test_raw_memory_access_is_refused_before_the_build(client, imports, body, why):
    linkname = "\n//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n"
    code = f"""package mathx

import (
	"testing"
	{imports}
)
{linkname if why == "//go:linkname" else ""}
func TestRaw(t *testing.T) {{
	{body}
	IsPrime(7)
}}"""
    result = score(client, code, **UNCALLED)
    assert result["status"] == "build_failed", result["detail"]
    assert result["reward"] == 0.0
    assert result["detail"].startswith("refused before the build:")
    assert why in result["detail"]
    assert result["assertions"] == 0  # the code parsed: the contract still reports its checks
    assert_still_scores(client)


def test_the_shared_memory_cannot_be_written(client):
    """The test finds the shared memory in /proc/self/maps and tries every way left to write it."""
    code = """package mathx

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestWriteShared(t *testing.T) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var start, end uint64
	var name string
	for _, line := range strings.Split(string(maps), "\\n") {
		if strings.Contains(line, "memfd:") {
			fields := strings.Fields(line)
			bounds := strings.Split(fields[0], "-")
			start, _ = strconv.ParseUint(bounds[0], 16, 64)
			end, _ = strconv.ParseUint(bounds[1], 16, 64)
			name = fields[0]
		}
	}
	if start == 0 {
		t.Fatalf("no shared memory in the maps: the attack did not happen\\n%s", maps)
	}
	fmt.Println("found the shared memory at", name)
	ones := make([]byte, end-start)
	for i := range ones {
		ones[i] = 1
	}
	try := func(what string, err error) {
		if err == nil {
			fmt.Println("ESCAPED:", what)
		} else {
			fmt.Println("refused:", what, err)
		}
	}
	// Its own memory, through the kernel.
	if f, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0); err == nil {
		_, err = f.WriteAt(ones, int64(start))
		try("write /proc/self/mem", err)
	} else {
		try("open /proc/self/mem", err)
	}
	_, err = os.OpenFile("/proc/self/map_files/"+name, os.O_RDWR, 0)
	try("open /proc/self/map_files", err)
	// The descriptor it came by, and any other process's.
	for _, path := range []string{"/proc/self/fd/3", "/proc/1/fd/3", "/proc/2/fd/3"} {
		if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
			_, err = f.WriteAt(ones[:64], 16)
			try("write "+path+" ("+fmt.Sprint(f.Fd())+")", err)
		} else {
			try("open "+path, err)
		}
	}
	if data, err := syscall.Mmap(3, 0, 4096, syscall.PROT_WRITE, syscall.MAP_SHARED); err == nil {
		copy(data, ones)
		try("map descriptor 3 again", nil)
	} else {
		try("map descriptor 3 again", err)
	}
	links, _ := os.ReadDir("/proc/self/fd")
	for _, l := range links {
		target, _ := os.Readlink("/proc/self/fd/" + l.Name())
		if strings.Contains(target, "memfd") {
			fmt.Println("ESCAPED: a descriptor of the shared memory:", l.Name())
		}
	}
	try("ptrace itself", syscall.PtraceAttach(os.Getpid()))
}"""
    result = score(client, code, **UNCALLED)
    assert result["status"] == "ok", result["detail"]
    assert "found the shared memory at" in result["detail"]
    assert "ESCAPED" not in result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert result["coverage"] == 0.0
    assert result["reward"] == HONEST_PASS
    assert_still_scores(client)


def test_the_names_a_test_can_read_are_fresh_for_each_build(client, server):
    """runtime.FuncForPC over the whole text segment lists every function of the binary.

    The names it finds with the scorer's prefix are the harness's, new for every build; the
    counters' prefix (the package's, kept for the server's life) never shows.
    """
    code = """package mathx

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// SALT
func TestNames(t *testing.T) {
	maps, _ := os.ReadFile("/proc/self/maps")
	seen := map[string]bool{}
	for _, line := range strings.Split(string(maps), "\\n") {
		if !strings.Contains(line, "r-xp") || !strings.Contains(line, "pkg.test") {
			continue
		}
		var start, end uintptr
		fmt.Sscanf(line, "%x-%x", &start, &end)
		for pc := start; pc < end; pc += 16 { // functions start 32-byte aligned
			if f := runtime.FuncForPC(pc); f != nil {
				file, _ := f.FileLine(pc)
				for _, name := range []string{f.Name(), file} {
					if strings.Contains(name, "gotestrl") && !seen[name] {
						seen[name] = true
						fmt.Println("NAME", name)
					}
				}
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("read no function name: the attack did not happen")
	}
}"""
    prefixes = []
    for _ in range(2):
        result = score(client, code.replace("SALT", uuid.uuid4().hex))
        assert result["status"] == "ok", result["detail"]
        names = re.findall(r"gotestrl_[0-9a-f]{16}_", result["detail"])
        assert names, result["detail"]
        prefixes.append(set(names))
    assert prefixes[0].isdisjoint(prefixes[1]), prefixes
    work = gotools.CACHE_DIR / "work" / f"server-{server.proc.pid}"
    memory_files = list(work.glob("instr-*/0000gotestrl_memory.go"))
    assert memory_files, "no instrumented package on disk"
    counters_prefix = re.search(r"gotestrl_[0-9a-f]{16}_", memory_files[0].read_text()).group(0)
    assert all(counters_prefix not in seen for seen in prefixes)
    assert_still_scores(client)


# A TestMain and forged test2json framing ---------------------------------------------------------


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
