// Gotools answers the questions about Go code that the Python side of the
// toolkit cannot answer itself: what a function depends on, how much of it
// a test covers, which imports a generated test needs, which files a
// dataset should skip, and which tests a generated test file declares and
// how many checks they make.
//
// Usage:
//
//	gotools funcs -dir PKGDIR
//	gotools cover -profile FILE -dir PKGDIR [-file F.go] [-func NAME]
//	gotools imports -dir PKGDIR -src FILE [-name NAME.go]
//	gotools facts -dir DIR
//	gotools assertions -src FILE
//	gotools serve
//
// Every subcommand prints one JSON object and a newline on standard
// output. Field names are snake_case; lists are [] rather than null when
// empty. Bad usage (an unknown subcommand, a missing or unknown flag)
// exits with status 2 and a usage message; any other failure exits with
// status 1 and one line on standard error, prefixed "gotools: ".
//
// Gotools runs the go command (funcs, imports), which must be on PATH, with
// the environment it was given (GOFLAGS, GOCACHE, GOMODCACHE, ...).
//
// # funcs
//
// Funcs loads the package in PKGDIR (which must lie inside a module) with
// type information, and lists its functions and methods with the
// package-level declarations each one depends on:
//
//	{"package": "lib", "import_path": "example.com/m/lib", "dir": "/abs/lib",
//	 "files": ["list.go", ...],
//	 "imports": [{"file": "kind.go", "start_line": 3, "end_line": 3}, ...],
//	 "functions": [{"name": "List.Push", "file": "list.go",
//	                "start_line": 13, "end_line": 18,
//	                "receiver": "List", "exported": true, "generic": true,
//	                "statements": 3,
//	                "deps": [{"name": "List", "kind": "type", "file": "list.go",
//	                          "start_line": 4, "end_line": 8, "depth": 1,
//	                          "body_line": 0, "body_col": 0}, ...],
//	                "constructors": [{"name": "Map", "kind": "func", ...}]}],
//	 "errors": ["kind.go:8:18: undefined: x"]}
//
// Files are the non-test files the build includes. A function's name is
// "Func" or "Type.Method", the receiver type named without pointer or type
// parameters (func (l *List[T]) Push is "List.Push"); generic says whether
// the function or its receiver has type parameters; exported is about the
// function or method name alone. Spans are whole lines, 1-based and
// inclusive, and start at the doc comment. Statements counts the
// statements of the body, function literals included, but not blocks,
// case and select clauses, labels, or empty statements: it is a measure of
// size, not the statement count of go tool cover.
//
// Deps are the package-level types, constants, variables, functions and
// methods that the function's signature, receiver or body uses, and
// transitively what those use, within the package (never imports), the
// function itself excluded. A method is a dependency when it is called or
// otherwise selected, not merely because its type is. Every dependency
// names the whole declaration: a const, var or type that is part of a
// parenthesized group has the group's span, so an iota sequence stays
// whole, and is named after the first member that is used; a method is
// named "Type.Method". Kind is one of type, const, var, func and method.
// Deps and functions are sorted by file and line; deps are unique by span.
// A dependency's depth is 1 when the function itself uses it, 2 when only
// what it uses does, and so on (the least such number). Body_line and
// body_col locate the opening brace of a function's or method's body
// (1-based, the column in bytes), so that its signature can be shown
// alone; both are 0 for other declarations and for a function without a
// body.
//
// Constructors are the plain functions of the package (not methods) whose
// results are, or hold through pointers, slices, arrays, maps or channels,
// a type of this package that the function's receiver or parameters are
// made of alike: what a test calls to build its inputs. Those that make the
// receiver's type come first, then those that make a parameter's type,
// each group by file and line; the function itself is never one. Their
// depth is their depth as a dependency, or 0 when they are not one.
//
// Imports are the spans of the import declarations of each file, by file
// and line.
//
// Type errors do not stop funcs: they are listed in errors, with positions
// relative to PKGDIR, and everything that could be resolved is reported. A
// package that does not load, or whose files do not parse, is an error.
//
// # cover
//
// Cover reads a cover profile (mode set, count or atomic) written by
// go test -coverprofile and prints statement coverage:
//
//	{"statements": 19, "covered": 17, "coverage": 0.8947368421052632}
//
// Coverage is covered/statements, or null when there are no statements.
// Without -file and -func, all non-test files of PKGDIR count; with -file,
// that file (a base name); with -func ("Func" or "Type.Method", as in
// funcs), the blocks inside that function's declaration, function literals
// included. -func and -file combine to say in which file the function is.
// A function declared in several files (under different build constraints)
// counts in all of them; the profile has blocks only for the one built. An
// unknown file or function is an error ("unknown file ...", "unknown
// function ..."). A file of PKGDIR that the profile does not mention has no
// statements.
//
// The profile may hold several profiles one after another, each starting
// with its own mode line, as when runs are appended to one file; a block
// that appears more than once is covered if any of its counts is positive.
// Profile entries are matched to PKGDIR's files by base name. If the
// profile also covers other packages (go test -coverpkg), the entries
// whose directory is PKGDIR's import path (from the enclosing go.mod) are
// used. Cover only parses PKGDIR's files; it does not type-check.
//
// # imports
//
// Imports fixes the imports of one file like goimports (adding missing
// imports, removing unused ones, formatting) as if it were the file
// NAME.go (default: the base name of FILE) in PKGDIR, so that PKGDIR's
// module, its requirements and the imports of the package's other files
// decide which packages are candidates. A file already named NAME.go in
// PKGDIR is ignored:
//
//	{"source": "package lib\n\nimport \"testing\"\n...", "changed": true}
//
// Changed says whether the source differs from the input. A file that does
// not parse is an error.
//
// # facts
//
// Facts describes every .go file in DIR (not its subdirectories), test
// files included, for the dataset filters:
//
//	{"dir": "/abs/dir", "files": [{"file": "a_linux.go", "package": "a",
//	  "test": false, "generated": false, "build_constraint": true,
//	  "parse_error": null, "functions": 2, "main_only": false}]}
//
// Generated means a "// Code generated ... DO NOT EDIT." comment before the
// package clause. Build_constraint means a //go:build or // +build line
// before the package clause, or a file name that go/build restricts to
// some GOOS or GOARCH (x_linux.go, x_windows_arm64.go, x_arm64_test.go, but
// not linux.go). Functions counts function and method declarations;
// main_only means package main whose only function is main. A file that
// does not parse has its parse_error set, and the other facts as far as
// the parser got; package is "" if not even the package clause parsed.
//
// # assertions
//
// Assertions counts the checks a test file makes, and lists the top-level
// tests and the imports it declares, from its syntax alone (the file need
// not compile, nor be in a package):
//
//	{"assertions": 7, "tests": ["TestParse", "TestParse_empty"], "imports": ["strings", "testing"]}
//
// A check is a call of Error, Errorf, Fatal, Fatalf, Fail or FailNow on an
// identifier declared with type *testing.T, *testing.B, *testing.F or
// testing.TB (a parameter of a function or function literal, or a
// variable; also a variable initialised from such an identifier, or the
// symbol of a type switch case on one of those types); any call of a
// function of github.com/stretchr/testify/assert or .../require except New,
// CallerInfo, HTTPBody and the ObjectsAre... helpers; and any method call
// on a variable of type *assert.Assertions or *require.Assertions or
// assigned from assert.New or require.New. Import names are the file's own,
// renamed or not; identifiers are resolved through the file's scopes, so a
// local t that shadows the test's t does not count, and neither does
// err.Error(). Dot-imported testify packages and testify suites are not
// recognized.
//
// Tests are the functions that go test runs as tests, in source order, by
// the rule cmd/go applies to syntax: a declaration without receiver or
// type parameters, named Test or TestXxx where Xxx does not start with a
// lower-case letter, with no results and one parameter of type *T or
// *pkg.T (go test checks only the name T, since it cannot know how testing
// was imported). TestMain(*testing.M) is not a test; TestMain(*testing.T)
// is. Benchmarks, fuzz targets and examples are not listed.
//
// Imports are the paths of the file's import declarations, each once, in
// source order.
//
// A file that does not parse gives
//
//	{"assertions": null, "tests": null, "imports": null, "parse_error": "x_test.go:5:1: expected operand, found '}'"}
//
// and exit status 0.
//
// # serve
//
// Serve answers requests for the other subcommands, one JSON object per
// line on standard input, until end of input:
//
//	{"id": 1, "cmd": "cover", "args": {"profile": "c.out", "dir": "pkg", "func": "Stack.Pop"}}
//
// Args are named like the flags, without the dash. Imports and assertions
// also accept "src_text", the source itself, instead of "src"; the file is
// then called "name" if given, else generated_test.go. Each request gets
// one line in return, in order, echoing its id:
//
//	{"id": 1, "result": {"statements": 6, "covered": 5, "coverage": 0.8333333333333334}}
//	{"id": 2, "error": "unknown function \"Nope\": not declared in pkg"}
//
// A bad request, even one that is not JSON, gets an error line (id null if
// unreadable); serve itself keeps going. Relative paths are resolved
// against serve's working directory.
//
// # Example
//
//	$ gotools cover -profile cover.out -dir ./calc -func Stack.Pop
//	{"statements":6,"covered":5,"coverage":0.8333333333333334}
package main
