package main

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/tools/go/packages"
)

// packageDir returns dir as an absolute path, once it is known to be a
// directory: go list run in a missing directory fails with a confusing exec
// error.
func packageDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err != nil {
		return "", err
	} else if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	return abs, nil
}

// loadPackage loads the one package in the directory abs, which the user
// named dir, with what mode asks for. The package's own errors are the
// caller's to judge.
func loadPackage(abs, dir string, mode packages.LoadMode) (*packages.Package, error) {
	pkgs, err := packages.Load(&packages.Config{Mode: mode, Dir: abs}, ".")
	if err != nil {
		return nil, fmt.Errorf("loading package in %s: %w", dir, err)
	}
	if len(pkgs) != 1 {
		// go list reports a directory outside any module by listing nothing.
		return nil, fmt.Errorf("loading package in %s: found %d packages, want 1 (is the directory inside a module?)", dir, len(pkgs))
	}
	return pkgs[0], nil
}
