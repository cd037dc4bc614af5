package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

// The layout of a run's shared memory, in native-endian uint32 words (see
// the package documentation). The server writes the header; the test
// binary answers memoryOffered with memoryAttached once it has mapped it.
const (
	memoryOffered  = 0x6c727467 // "gtrl" in little-endian bytes
	memoryAttached = 0x4c525447 // "GTRL"
	headerWords    = 4
)

// MemoryFileName is the name of the file that instrument adds to the
// package: the digits sort it before the package's own files, and it
// carries no secret, since a file name is visible to the running binary
// (runtime.FuncForPC reports the file of every function).
const memoryFileName = "0000gotestrl_memory.go"

// prefixPattern is the form of every secret prefix: it must make
// identifiers that no file of a package declares by accident.
var prefixPattern = regexp.MustCompile(`^gotestrl_[0-9a-f]{16}_$`)

type instrumentResult struct {
	Prefix   string             `json:"prefix"`
	Memory   memoryFile         `json:"memory"`
	Files    []instrumentedFile `json:"files"`
	Counters int                `json:"counters"`
	// Blocks are file index, start line, start column, end line, end
	// column and statements, in counter order.
	Blocks [][6]int `json:"blocks"`
	Mutant string   `json:"mutant"`
	Export string   `json:"export"`
}

type memoryFile struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

type instrumentedFile struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Counters int    `json:"counters"`
}

// newPrefix returns a fresh secret prefix.
func newPrefix() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return "gotestrl_" + hex.EncodeToString(b[:]) + "_"
}

// checkPrefix returns prefix, or a fresh one when it is empty.
func checkPrefix(prefix string) (string, error) {
	if prefix == "" {
		return newPrefix(), nil
	}
	if !prefixPattern.MatchString(prefix) {
		return "", usageError{fmt.Errorf("prefix %q is not of the form gotestrl_<16 hex digits>_", prefix)}
	}
	return prefix, nil
}

// instrument writes into out a coverage-instrumented copy of each of the
// files (base names in dir, comma-separated), whose counters live in the
// run's shared memory, and the file that maps that memory.
func instrument(dir, files, out, prefix string) (*instrumentResult, error) {
	prefix, err := checkPrefix(prefix)
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("making output folder: %w", err)
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	names := strings.Split(files, ",")
	res := &instrumentResult{
		Prefix: prefix,
		Blocks: [][6]int{},
		Mutant: prefix + "mem[1]",
		Export: exportedName(prefix),
	}
	var pkgName string
	var decls []string
	for i, name := range names {
		if name == "" || filepath.Base(name) != name || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil, usageError{fmt.Errorf("files: %q is not the base name of a non-test Go file", name)}
		}
		counter := fmt.Sprintf("%sc%d", prefix, i)
		f, err := instrumentFile(filepath.Join(dir, name), filepath.Join(out, name), counter, res.Counters, prefix)
		if err != nil {
			return nil, err
		}
		if pkgName != "" && f.pkg != pkgName {
			return nil, fmt.Errorf("%s is in package %s, %s in package %s", names[0], pkgName, name, f.pkg)
		}
		pkgName = f.pkg
		for _, b := range f.blocks {
			res.Blocks = append(res.Blocks, [6]int{i, b[0], b[1], b[2], b[3], b[4]})
		}
		res.Files = append(res.Files, instrumentedFile{Name: name, Path: filepath.Join(out, name), Counters: len(f.blocks)})
		res.Counters += len(f.blocks)
		decls = append(decls, counter)
	}
	var src bytes.Buffer
	err = memoryTemplate.Execute(&src, map[string]any{
		"Package":  pkgName,
		"Prefix":   prefix,
		"Export":   res.Export,
		"Counters": res.Counters,
		"Offered":  fmt.Sprintf("%#x", memoryOffered),
		"Attached": fmt.Sprintf("%#x", memoryAttached),
		"Header":   headerWords,
	})
	if err != nil {
		return nil, err
	}
	memPath := filepath.Join(out, memoryFileName)
	if err := os.WriteFile(memPath, src.Bytes(), 0o644); err != nil {
		return nil, err
	}
	res.Memory = memoryFile{Name: memoryFileName, Path: memPath}
	return res, nil
}

// exportedName is the exported name under which the memory file also
// declares the memory, for the harness of an external test package.
func exportedName(prefix string) string {
	return "G" + prefix[1:] + "mem"
}

type coveredFile struct {
	pkg    string
	blocks [][5]int // start line, start column, end line, end column, statements
}

// instrumentFile runs go tool cover on src in set mode (its legacy,
// self-contained form, the one that takes -var) and replaces the counter
// variable it declares with a slice of the shared counters, at offset.
func instrumentFile(src, dst, counter string, offset int, prefix string) (*coveredFile, error) {
	tool, err := coverTool()
	if err != nil {
		return nil, err
	}
	// The absolute source path makes cover's //line directive name the
	// file as go test -cover's build does, for positions in panics.
	cmd := exec.Command(tool, "-mode=set", "-var="+counter, "-o", dst, src)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go tool cover %s: %v: %s", filepath.Base(src), err, bytes.TrimSpace(msg))
	}
	text, err := os.ReadFile(dst)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, dst, text, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parsing the instrumented %s: %w", filepath.Base(src), err)
	}
	decl, pos, stmts, err := counterDecl(f, counter)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(src), err)
	}
	if len(pos) != 3*len(stmts) {
		return nil, fmt.Errorf("%s: %d positions for %d blocks", filepath.Base(src), len(pos), len(stmts))
	}
	n := len(stmts)
	res := &coveredFile{pkg: f.Name.Name, blocks: make([][5]int, n)}
	for i := range n {
		// Pos holds start line, end line, and the columns packed as
		// end<<16 | start, as the testing package reads them.
		res.blocks[i] = [5]int{int(pos[3*i]), int(pos[3*i+2] & 0xffff), int(pos[3*i+1]), int(pos[3*i+2] >> 16), int(stmts[i])}
	}
	// A slice, not an array pointer: slice-to-array conversions need go1.17
	// and a module may declare an older language version.
	repl := fmt.Sprintf("var %s = struct{ Count []uint32 }{Count: %scounters[%d:%d:%d]}",
		counter, prefix, offset, offset+n, offset+n)
	start, end := fset.Position(decl.Pos()).Offset, fset.Position(decl.End()).Offset
	out := append(append(append([]byte{}, text[:start]...), repl...), text[end:]...)
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		return nil, err
	}
	return res, nil
}

// counterDecl finds cover's declaration of the counter variable and reads
// its position and statement tables.
func counterDecl(f *ast.File, counter string) (decl *ast.GenDecl, pos, stmts []uint64, err error) {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR || len(gd.Specs) != 1 {
			continue
		}
		vs, ok := gd.Specs[0].(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != counter || len(vs.Values) != 1 {
			continue
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			break
		}
		for _, elt := range lit.Elts {
			kv, ok := elt.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			key, _ := kv.Key.(*ast.Ident)
			table, _ := kv.Value.(*ast.CompositeLit)
			if key == nil || table == nil {
				continue
			}
			values, err := literalInts(table)
			if err != nil {
				return nil, nil, nil, err
			}
			switch key.Name {
			case "Pos":
				pos = values
			case "NumStmt":
				stmts = values
			}
		}
		return gd, pos, stmts, nil
	}
	return nil, nil, nil, fmt.Errorf("go tool cover declared no variable %s", counter)
}

func literalInts(lit *ast.CompositeLit) ([]uint64, error) {
	values := make([]uint64, 0, len(lit.Elts))
	for _, e := range lit.Elts {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.INT {
			return nil, errors.New("go tool cover wrote a table that is not integers")
		}
		v, err := strconv.ParseUint(b.Value, 0, 32)
		if err != nil {
			return nil, err
		}
		values = append(values, v)
	}
	return values, nil
}

var coverToolPath = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOTOOLDIR").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOTOOLDIR: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "cover"), nil
})

// coverTool is the path of cmd/cover; calling it directly saves the go
// command's start for each file.
func coverTool() (string, error) { return coverToolPath() }

// memoryTemplate is the file that maps the run's shared memory. Its
// variable is the first that the package initialises: it depends on
// nothing, file names order it before the package's own files, and every
// counter (so every variable whose initialiser reaches instrumented code)
// depends on it. So it runs before any code of a test file, maps
// descriptor 3 and closes it, so that no test can map it again. Anything
// other than an offered memory of the right size (a binary that a test
// started again itself, say) gets a private copy, which nobody reads.
var memoryTemplate = template.Must(template.New("memory").Parse(`// Code generated by gotools instrument. DO NOT EDIT.

package {{.Package}}

import (
	{{.Prefix}}syscall "syscall"
	{{.Prefix}}unsafe "unsafe"
)

var {{.Prefix}}mem = func() []uint32 {
	const counters = {{.Counters}}
	defer {{.Prefix}}syscall.Close(3)
	var st {{.Prefix}}syscall.Stat_t
	if {{.Prefix}}syscall.Fstat(3, &st) == nil && st.Size >= {{.Header}}*4 && st.Size%4 == 0 && st.Size < 1<<30 {
		b, err := {{.Prefix}}syscall.Mmap(3, 0, int(st.Size), {{.Prefix}}syscall.PROT_READ|{{.Prefix}}syscall.PROT_WRITE, {{.Prefix}}syscall.MAP_SHARED)
		if err == nil {
			w := (*[1 << 28]uint32)({{.Prefix}}unsafe.Pointer(&b[0]))[: len(b)/4 : len(b)/4]
			if w[0] == {{.Offered}} && w[3] == counters && len(w) == {{.Header}}+2*int(w[2])+counters {
				w[0] = {{.Attached}}
				return w
			}
			{{.Prefix}}syscall.Munmap(b)
		}
	}
	return make([]uint32, {{.Header}}+counters)
}()

var {{.Prefix}}counters = {{.Prefix}}mem[{{.Header}}+2*int({{.Prefix}}mem[2]):]

var {{.Export}} = {{.Prefix}}mem
`))
