package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// harnessFileName is the harness's test file. Like every file name of the
// build it is visible to the running binary, so it carries no secret.
const harnessFileName = "gotestrl_harness_test.go"

type harnessResult struct {
	Refused     []string       `json:"refused"`
	Source      string         `json:"source"`
	Harness     string         `json:"harness"`
	HarnessName string         `json:"harness_name"`
	Prefix      string         `json:"prefix"`
	Tests       []declaredTest `json:"tests"`
}

type declaredTest struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // test, fuzz or example
}

// A reporter is one declared test and the function that runs it.
type reporter struct {
	declaredTest
	fn      *ast.FuncDecl
	example *doc.Example
}

// harness prepares the test file src (called name, in the package called
// pkg, whose import path is importPath) to report its results into the
// run's shared memory, mapped by the memory file of instrument's prefix
// memory. Its own names take prefix (fresh when empty).
func harness(name string, src []byte, pkg, importPath, memory, prefix string) (*harnessResult, error) {
	memory, err := checkPrefix(memory)
	if err != nil {
		return nil, err
	}
	if prefix, err = checkPrefix(prefix); err != nil {
		return nil, err
	}
	if prefix == memory {
		return nil, usageError{fmt.Errorf("prefix and memory must differ")}
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	external := f.Name.Name == pkg+"_test"
	if !external && f.Name.Name != pkg {
		return nil, fmt.Errorf("%s is in package %s, not %s or %s_test", name, f.Name.Name, pkg, pkg)
	}
	reporters := declared(f)
	res := &harnessResult{Refused: forbidden(fset, f), HarnessName: harnessFileName, Prefix: prefix, Tests: []declaredTest{}}
	if external && pkg == "main" {
		// Its harness would have to import package main to reach the memory.
		res.Refused = append(res.Refused, fmt.Sprintf("%s: an external test of package main cannot be measured: declare package main", fset.Position(f.Name.Pos())))
	}
	for _, r := range reporters {
		res.Tests = append(res.Tests, r.declaredTest)
	}
	if len(res.Refused) > 0 {
		return res, nil
	}
	rewritten := report(fset, f, src, reporters, prefix)
	if err := sameTests(name, rewritten, reporters); err != nil {
		return nil, err
	}
	memExpr := memory + "mem"
	if external {
		memExpr = prefix + "pkg." + exportedName(memory)
	}
	var h bytes.Buffer
	err = harnessTemplate.Execute(&h, map[string]any{
		"Package":    f.Name.Name,
		"ImportPath": strconv.Quote(importPath),
		"External":   external,
		"P":          prefix,
		"Mem":        memExpr,
		"Records":    len(reporters),
		"Fuzz":       slices.ContainsFunc(reporters, func(r reporter) bool { return r.Kind == "fuzz" }),
		"Examples":   slices.ContainsFunc(reporters, func(r reporter) bool { return r.Kind == "example" }),
		"Header":     headerWords,
	})
	if err != nil {
		return nil, err
	}
	res.Source, res.Harness = string(rewritten), h.String()
	return res, nil
}

// declared lists what go test runs from f, by the rules of cmd/go: tests
// and fuzz targets of the right shape, in source order, then the examples
// that have an output comment, in source order.
func declared(f *ast.File) []reporter {
	var rs []reporter
	for _, kind := range []struct{ prefix, param, kind string }{{"Test", "T", "test"}, {"Fuzz", "F", "fuzz"}} {
		for _, fd := range runnable(f, kind.prefix, kind.param) {
			rs = append(rs, reporter{declaredTest: declaredTest{fd.Name.Name, kind.kind}, fn: fd})
		}
	}
	examples := doc.Examples(f)
	sort.SliceStable(examples, func(i, j int) bool { return examples[i].Order < examples[j].Order })
	for _, e := range examples {
		if e.Output == "" && !e.EmptyOutput {
			continue // compiled, never run
		}
		name := "Example" + e.Name
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
				rs = append(rs, reporter{declaredTest: declaredTest{name, "example"}, fn: fd, example: e})
				break
			}
		}
	}
	return rs
}

// An edit replaces the bytes [start, end) of the source with text.
type edit struct {
	start, end int
	text       string
}

// report inserts into each declared test the call that reports it. A
// test or fuzz target starts with a call that records its start and
// registers, as its first cleanup (so the last to run), the recording of
// its result. An example's body becomes a function literal that it calls
// between the start and the end of a capture of its output. Each insertion
// is followed by a /*line*/ directive when code follows on its line, so
// that every position of the file's own code stays what it was.
func report(fset *token.FileSet, f *ast.File, src []byte, rs []reporter, p string) []byte {
	var edits []edit
	after := func(offset int, text string) {
		if offset < len(src) && src[offset] != '\n' && src[offset] != '\r' {
			pos := fset.Position(fset.File(f.Pos()).Pos(offset))
			text += fmt.Sprintf("/*line :%d:%d*/", pos.Line, pos.Column)
		}
		edits = append(edits, edit{offset, offset, text})
	}
	offset := func(pos token.Pos) int { return fset.Position(pos).Offset }
	for i, r := range rs {
		if r.fn.Body == nil {
			continue // a declaration without body does not build
		}
		body := offset(r.fn.Body.Lbrace) + 1
		if r.example != nil {
			after(body, fmt.Sprintf(" %[1]sr := %[1]sexample(%[2]d, %[3]s, %[4]t); defer %[1]sr.end(); func() {",
				p, i, strconv.Quote(r.example.Output), r.example.Unordered))
			end := offset(r.fn.Body.Rbrace)
			edits = append(edits, edit{end, end, fmt.Sprintf("}(); %sr.returned()", p)})
			continue
		}
		param := r.fn.Type.Params.List[0]
		arg := p + "t"
		switch {
		case len(param.Names) == 0:
			after(offset(param.Type.Pos()), arg+" ")
		case param.Names[0].Name == "_":
			edits = append(edits, edit{offset(param.Names[0].Pos()), offset(param.Names[0].End()), ""})
			after(offset(param.Names[0].End()), arg)
		default:
			arg = param.Names[0].Name
		}
		after(body, fmt.Sprintf(" %s%s(%s, %d, %s);", p, r.Kind, arg, i, strconv.Quote(r.Name)))
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		out.Write(src[last:e.start])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(src[last:])
	return out.Bytes()
}

// sameTests checks that the rewritten file declares what the original
// did, examples with the same expected output, as cmd/go will read it.
func sameTests(name string, rewritten []byte, rs []reporter) error {
	f, err := parser.ParseFile(token.NewFileSet(), name, rewritten, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("the rewritten test file does not parse: %w", err)
	}
	got := declared(f)
	same := slices.EqualFunc(got, rs, func(a, b reporter) bool {
		if a.declaredTest != b.declaredTest || (a.example == nil) != (b.example == nil) {
			return false
		}
		return a.example == nil || a.example.Output == b.example.Output &&
			a.example.Unordered == b.example.Unordered && a.example.EmptyOutput == b.example.EmptyOutput
	})
	if !same {
		return fmt.Errorf("the rewritten test file declares other tests than the original")
	}
	return nil
}

// forbidden lists the constructs of f that reach memory the test was not
// given: what could write the run's shared memory, or any other. Of unsafe,
// the sizes and offsets of types stay allowed: they are constants.
func forbidden(fset *token.FileSet, f *ast.File) []string {
	found := []string{}
	report := func(pos token.Pos, format string, args ...any) {
		found = append(found, fmt.Sprintf("%s: %s", fset.Position(pos), fmt.Sprintf(format, args...)))
	}
	names := map[string]string{} // import name -> path, for unsafe, syscall and reflect
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		switch path {
		case "golang.org/x/sys/unix":
			report(imp.Pos(), `import "golang.org/x/sys/unix" is not allowed: its system calls take raw addresses to write`)
			continue
		case "unsafe", "syscall", "reflect":
		default:
			continue
		}
		name := path
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "." {
			report(imp.Pos(), "a dot import of %q is not allowed: its raw-memory functions must be named", path)
		}
		names[name] = path
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:linkname") {
				report(c.Pos(), "//go:linkname is not allowed: it reaches code and variables by their link names")
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		name := sel.Sel.Name
		if name == "UnsafePointer" || name == "SetPointer" {
			report(sel.Sel.Pos(), "%s is not allowed: it hands out or takes raw pointers", name)
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		switch names[x.Name] {
		case "unsafe":
			if name != "Sizeof" && name != "Alignof" && name != "Offsetof" {
				report(sel.Pos(), "unsafe.%s is not allowed: it reads and writes memory the test was not given", name)
			}
		case "syscall":
			for _, raw := range []string{"Syscall", "RawSyscall", "AllThreadsSyscall"} {
				if strings.HasPrefix(name, raw) {
					report(sel.Pos(), "syscall.%s is not allowed: a raw system call writes any address it is given", name)
				}
			}
		case "reflect":
			if name == "NewAt" || name == "SliceAt" {
				report(sel.Pos(), "reflect.%s is not allowed: it makes a value of any memory", name)
			}
		}
		return true
	})
	return found
}

// harnessTemplate is the harness's test file. Each declared test has two
// words in the run's memory: how often it started, and its result (0 none,
// 1 pass, 2 fail, 3 skip), written as the testing package decides it: its
// report follows the last cleanup, so the first cleanup that a test
// registers sees the verdict, except after a panic or runtime.Goexit
// without FailNow or SkipNow (the testing package fails the test after its
// cleanups when it has not finished) and a fuzz target that returned
// without calling F.Fuzz (failed after its cleanups too); both are read
// from the testing package's own fields. An example captures its output
// inside the testing package's capture, compares it as the testing package
// does, and passes it on unchanged. A test counts only when the testing
// package runs it as itself: a call from other code (another test calling
// TestX(t)) records nothing.
var harnessTemplate = template.Must(template.New("harness").Parse(`// Code generated by gotools harness. DO NOT EDIT.

package {{.Package}}

import (
{{- if .Examples}}
	{{.P}}io "io"
	{{.P}}os "os"
{{- end}}
{{- if .External}}
	{{.P}}pkg {{.ImportPath}}
{{- end}}
	{{.P}}reflect "reflect"
{{- if .Examples}}
	{{.P}}runtime "runtime"
	{{.P}}sort "sort"
	{{.P}}strings "strings"
{{- end}}
	{{.P}}sync "sync"
	{{.P}}testing "testing"
)

const (
	{{.P}}pass = 1
	{{.P}}fail = 2
	{{.P}}skip = 3
)

var {{.P}}records = func() []uint32 {
	mem := {{.Mem}}
	if len(mem) < {{.Header}} || int(mem[2]) != {{.Records}} {
		return make([]uint32, 2*{{.Records}}) // not the run's memory: a private copy
	}
	return mem[{{.Header}} : {{.Header}}+2*{{.Records}} : {{.Header}}+2*{{.Records}}]
}()

var (
	{{.P}}mu      {{.P}}sync.Mutex
	{{.P}}running [{{.Records}}]interface{}
)

func {{.P}}start(i int, runner interface{}) bool {
	{{.P}}mu.Lock()
	defer {{.P}}mu.Unlock()
	if {{.P}}running[i] == runner {
		return false // the test called itself
	}
	{{.P}}running[i] = runner
	{{.P}}records[2*i]++
	return true
}

func {{.P}}finish(i int, verdict uint32) {
	{{.P}}mu.Lock()
	defer {{.P}}mu.Unlock()
	{{.P}}records[2*i+1] = verdict
}

// {{.P}}flag reads a field of the testing package's own state.
func {{.P}}flag(x interface{}, name string) bool {
	v := {{.P}}reflect.ValueOf(x).Elem().FieldByName(name)
	return !v.IsValid() || v.Kind() != {{.P}}reflect.Bool || v.Bool()
}

func {{.P}}verdict(failed, skipped, finished bool) uint32 {
	switch {
	case failed, !finished && !skipped:
		return {{.P}}fail
	case skipped:
		return {{.P}}skip
	}
	return {{.P}}pass
}

func {{.P}}test(t *{{.P}}testing.T, i int, name string) {
	if t.Name() != name || !{{.P}}start(i, t) {
		return
	}
	t.Cleanup(func() {
		{{.P}}finish(i, {{.P}}verdict(t.Failed(), t.Skipped(), {{.P}}flag(t, "finished")))
	})
}

{{- if .Fuzz}}

func {{.P}}fuzz(f *{{.P}}testing.F, i int, name string) {
	if f.Name() != name || !{{.P}}start(i, f) {
		return
	}
	f.Cleanup(func() {
		v := {{.P}}verdict(f.Failed(), f.Skipped(), {{.P}}flag(f, "finished"))
		if v == {{.P}}pass && !{{.P}}flag(f, "fuzzCalled") {
			v = {{.P}}fail
		}
		{{.P}}finish(i, v)
	})
}
{{- end}}
{{- if .Examples}}

type {{.P}}run struct {
	i         int
	want      string
	unordered bool
	stdout    *{{.P}}os.File
	w         *{{.P}}os.File
	out       chan string
	done      bool
}

// {{.P}}example starts the capture of an example's output, when the
// testing package runs it.
func {{.P}}example(i int, want string, unordered bool) *{{.P}}run {
	// The example's caller: frames of Callers, this function, the example.
	pcs := make([]uintptr, 4)
	frames := {{.P}}runtime.CallersFrames(pcs[:{{.P}}runtime.Callers(3, pcs)])
	r := &{{.P}}run{i: i, want: want, unordered: unordered, stdout: {{.P}}os.Stdout}
	if f, _ := frames.Next(); f.Function != "testing.runExample" || !{{.P}}start(i, r) {
		return nil
	}
	rd, w, err := {{.P}}os.Pipe()
	if err != nil {
		return r
	}
	r.w, r.out = w, make(chan string)
	{{.P}}os.Stdout = w
	go func() {
		var b {{.P}}strings.Builder
		{{.P}}io.Copy(&b, rd)
		rd.Close()
		r.out <- b.String()
	}()
	return r
}

func (r *{{.P}}run) returned() {
	if r != nil {
		r.done = true
	}
}

// end ends the capture, passes the output on to the testing package's
// capture, and records the verdict that the testing package reaches.
func (r *{{.P}}run) end() {
	if r == nil {
		return
	}
	v := uint32({{.P}}fail)
	if r.w != nil {
		r.w.Close()
		out := <-r.out
		{{.P}}os.Stdout = r.stdout
		r.stdout.WriteString(out)
		if r.done && {{.P}}sameOutput(out, r.want, r.unordered) {
			v = {{.P}}pass
		}
	}
	{{.P}}finish(r.i, v)
}

func {{.P}}sameOutput(out, want string, unordered bool) bool {
	got, want := {{.P}}strings.TrimSpace(out), {{.P}}strings.TrimSpace(want)
	if !unordered {
		return got == want
	}
	g, w := {{.P}}strings.Split(got, "\n"), {{.P}}strings.Split(want, "\n")
	{{.P}}sort.Strings(g)
	{{.P}}sort.Strings(w)
	if len(g) != len(w) {
		return false
	}
	for k := range g {
		if g[k] != w[k] {
			return false
		}
	}
	return true
}
{{- end}}
`))
