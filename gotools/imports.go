package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/imports"
)

type importsResult struct {
	Source  string `json:"source"`
	Changed bool   `json:"changed"`
}

// fixImports runs goimports on src as if it were the file name in dir.
func fixImports(dir, name string, src []byte) (*importsResult, error) {
	if name != filepath.Base(name) || !strings.HasSuffix(name, ".go") {
		return nil, fmt.Errorf("imports: name %q is not the base name of a .go file", name)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("imports: %s is not a directory", dir)
	}

	// imports.Process resolves packages with go commands run in the
	// current directory (its exported API has no way to set another), so
	// the module that provides the context is the one of the working
	// directory. Move there for the duration of the call. Requests are
	// handled one at a time, also in serve mode, so nothing else depends
	// on the working directory meanwhile.
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	if err := os.Chdir(abs); err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	defer func() {
		if err := os.Chdir(wd); err != nil {
			// Every later relative path would resolve wrongly.
			panic(fmt.Sprintf("imports: cannot return to %s: %v", wd, err))
		}
	}()

	opt := &imports.Options{Comments: true, TabIndent: true, TabWidth: 8}
	out, err := imports.Process(filepath.Join(abs, name), src, opt)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	return &importsResult{Source: string(out), Changed: !bytes.Equal(out, src)}, nil
}
