# Sourced by the set-up and the Makefile: the one Go environment of the project, the same that
# gotools/__init__.py gives the Python side.
# GOTOOLCHAIN=local: never download another toolchain behind the user's back.
# CGO_ENABLED=0: generated tests build without a C compiler, so cgo flags cannot run one.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for goroot in "$root"/.venv/lib/python3*/site-packages/go; do
	export PATH="$goroot/bin:$PATH"
done
export PATH="$root/.venv/bin:$PATH"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOCACHE=${GOCACHE:-$root/.cache/go-build}
export GOMODCACHE=${GOMODCACHE:-$root/.cache/gomod}
