// Gotools answers the questions about Go code that the Python side of the
// toolkit cannot answer itself: what a function depends on, how much of it
// a test covers, which imports a generated test needs, which files a
// dataset should skip, which tests a generated test file declares and how
// many checks they make, and which faults (mutants) a test should catch,
// all held by one build (mutant schemata). It also prepares the build whose
// coverage and test results the scorer trusts: a package whose coverage
// counters, and a test file whose results, are written only into memory
// that the test's own code cannot reach.
//
// Usage:
//
//	gotools funcs -dir PKGDIR
//	gotools cover -profile FILE -dir PKGDIR [-file F.go] [-func NAME]
//	gotools imports -dir PKGDIR -src FILE [-name NAME.go]
//	gotools facts -dir DIR
//	gotools assertions -src FILE
//	gotools strip-assertions -src FILE
//	gotools wrong-expectation -src FILE
//	gotools instrument -dir PKGDIR -files A.go,B.go -out DIR [-prefix P]
//	gotools harness -src FILE -package NAME -memory P [-import_path PATH] [-name NAME.go] [-prefix P]
//	gotools mutants -dir PKGDIR [-file F.go] [-func NAME] [-max N]
//	gotools schemata -dir PKGDIR -file F.go -src INSTRUMENTED.go -mutants MUTANTS.json -selector EXPR [-prefix P]
//	gotools testcalls -dir PKGDIR [-func NAME]
//	gotools serve
//
// Every subcommand prints one JSON object and a newline on standard
// output. Field names are snake_case; lists are [] rather than null when
// empty. Bad usage (an unknown subcommand, a missing or unknown flag)
// exits with status 2 and a usage message; any other failure exits with
// status 1 and one line on standard error, prefixed "gotools: ".
//
// Gotools runs the go command (funcs, imports, instrument, mutants,
// schemata), which must be on PATH, with the environment it was given
// (GOFLAGS, GOCACHE, GOMODCACHE, ...).
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
//	 "errors": ["kind.go:8:18: undefined: x"],
//	 "init_effects": [{"kind": "parses_flags", "call": "flag.Parse",
//	                   "pos": "main.go:16:2", "via": "init"}]}
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
// Init_effects are what the package's initialisation does that no test
// binary of the package survives: "parses_flags", a call of flag.Parse,
// flag.CommandLine.Parse, pflag's or kingpin's Parse (the command line then
// holds go test's flags, which the package does not define), wherever it
// is; "exits", a call of os.Exit, syscall.Exit or log's Fatal functions and
// methods that nothing decides (not inside an if, a loop, a switch or
// select, nor a go statement, nor the right of && or ||). Initialisation
// is every init function and package-level variable initialiser, followed
// into the package's own functions and methods that it calls statically,
// and into function literals called on the spot. Via is that chain of
// calls ("init > setup", "var cfg > load"); effects are sorted by kind,
// then position. What imported packages do in their own initialisation is
// not looked at.
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
// # strip-assertions
//
// Strip-assertions rewrites a test file so that it checks nothing but
// still runs what it ran, for measuring what a reward pays to a test that
// checks nothing (exp/reward-formulas):
//
//	{"source": "package calc\n...", "removed": 6}
//
// Every check that assertions counts is removed: a call statement of one
// goes, the calls among its arguments stay as `_ = arg`, so the code under
// test still runs and coverage is unchanged. An if statement left with
// nothing to do (an empty body and no else, or an empty one) becomes its
// init statement and `_ = condition`, in a block of its own when the init
// declares names. A local variable whose last use went is used as `_ = x`
// after its declaration (or first in the body of the if, for or range
// statement that declares it), and an import whose last use went is
// deleted, so that the file still builds. Removed is the number of checks
// taken out; the output makes none. Like assertions it works on the
// syntax alone; a file that does not parse gives an empty source and its
// parse_error.
//
// # wrong-expectation
//
// Wrong-expectation rewrites a test file so that the first check of each
// top-level test expects the opposite: the condition of the first if
// statement whose body only checks is negated (if !(got != want) {...}),
// or the first testify check that has an opposite (Equal and NotEqual,
// True and False, Nil and NotNil, NoError and Error, ...) is swapped for
// it, whichever comes first:
//
//	{"source": "package calc\n...", "inverted": 3}
//
// Inverted counts the tests changed; a test whose checks all lie in
// helpers is left as it was. The file builds as before, and a test that
// passed now fails wherever its inverted check is reached.
//
// # The run's shared memory
//
// Instrument and harness build a test binary that reports into memory
// shared with the process that runs it: a file of uint32 words in the
// machine's byte order (a memfd, sized exactly), open as descriptor 3 when
// the binary starts:
//
//	[0]  0x6c727467 ("gtrl") as offered; the binary writes 0x4c525447
//	     ("GTRL") once it has mapped the memory
//	[1]  the mutant to run, 0 for the real code
//	[2]  R, the number of declared tests (harness's tests, in order)
//	[3]  N, the number of coverage counters (instrument's counters)
//	[4+2i]    how often declared test i started
//	[4+2i+1]  its result: 0 none, 1 pass, 2 fail, 3 skip
//	[4+2R+j]  counter j: 1 once block j ran
//
// The writer of the header fills [0] to [3] and leaves the rest zero. A
// binary that finds anything else on descriptor 3 (nothing, another file, a
// size that does not match) keeps its records and counters in private
// memory, which nobody reads.
//
// Every name either subcommand adds carries a secret prefix
// (gotestrl_<16 hex digits>_), so that no test can name, and so write, a
// counter, a record or the mapping. Names of variables never reach the
// binary; names of functions and files do (runtime.FuncForPC), so instrument
// adds no function and no file named with its prefix, and harness's prefix
// must be fresh for every build.
//
// # instrument
//
// Instrument writes into the folder given by -out a copy of each of the
// files of the package in PKGDIR named by -files (base names of the
// package's non-test Go files, as the build includes them, comma-separated)
// in which every basic block sets a coverage counter, and the file
// 0000gotestrl_memory.go that maps the shared memory; a build overlays them
// on the package (go build -overlay), without -cover:
//
//	{"prefix": "gotestrl_0123456789abcdef_",
//	 "memory": {"name": "0000gotestrl_memory.go", "path": "/out/0000gotestrl_memory.go"},
//	 "files": [{"name": "calc.go", "path": "/out/calc.go", "counters": 7}, ...],
//	 "counters": 12,
//	 "blocks": [[0, 6, 2, 6, 11, 1], ...],
//	 "mutant": "gotestrl_0123456789abcdef_mem[1]",
//	 "export": "Gotestrl_0123456789abcdef_mem"}
//
// The blocks are those of go test -cover (the files are rewritten by go
// tool cover in set mode), in counter order: the index of the file in
// files, start line, start column, end line, end column and number of
// statements, as a cover profile names them. A set-mode profile of a run
// is one line per block, "IMPORTPATH/NAME.go:L.C,L.C STATEMENTS COUNT",
// COUNT being 1 if the block's counter is set.
//
// Mutant is the expression, of type uint32, that code added to the
// package's files (after instrument, in the same package) reads to know
// the mutant to run: word [1] of the shared memory, read at each use,
// never copied. Export is the exported name of the memory ([]uint32) for
// the harness of an external test package. The prefix is -prefix, or a
// fresh one.
//
// The memory file's variable is the first that the package initialises
// (its initialiser depends on nothing, its name sorts first, and every
// counter depends on it), so it maps descriptor 3 and closes it before any
// code of a test file runs: no test can map it again.
//
// # harness
//
// Harness prepares a generated test file (FILE, treated as NAME.go) of the
// package called NAME (-package), instrumented by instrument with the prefix
// given as -memory, to report its tests into the shared memory:
//
//	{"refused": [], "tests": [{"name": "TestParse", "kind": "test"},
//	  {"name": "FuzzParse", "kind": "fuzz"}, {"name": "ExampleParse", "kind": "example"}],
//	 "source": "package lib\n...", "harness": "package lib\n...",
//	 "harness_name": "gotestrl_harness_test.go", "prefix": "gotestrl_fedcba9876543210_"}
//
// Tests are what go test runs from the file, by cmd/go's rules: the tests
// and fuzz targets (whose seed corpus go test runs), in source order, then
// the examples that have an output comment, in source order. Test i of the
// list owns records [4+2i] and [4+2i+1].
//
// Source is the file with a call inserted at the start of each of those
// functions; names, signatures and the positions of the file's own code
// stay as they were (a /*line*/ directive follows an insertion that shares
// a line with code), so go vet's checks and go test's choice of tests are
// those of the original. An unnamed or blank parameter of a test is named.
// Harness is the test file (harness_name, in the file's package) that
// declares the calls. A test or fuzz target records its start and, in its
// first cleanup, its result as the testing package decides it; an example
// captures its output inside the testing package's own capture and
// compares it as the testing package does. A test counts only when the
// testing package runs it as itself: a call of TestX from other code
// records nothing, and a test run twice (a TestMain that calls m.Run twice)
// shows two starts. An external test package (NAME_test) needs
// -import_path, the package's import path, to reach the memory.
//
// Refused lists the constructs of the file that could write memory the test
// was not given, the shared memory included, each as "FILE:LINE:COL:
// reason"; when there is one, source and harness are empty and the file must
// not be built: anything of unsafe but Sizeof, Alignof and Offsetof
// (constants), importing golang.org/x/sys/unix, a //go:linkname directive,
// syscall's raw system calls (Syscall..., RawSyscall...,
// AllThreadsSyscall...), reflect.NewAt and reflect.SliceAt, any selector
// named UnsafePointer or SetPointer, and a dot import of unsafe, syscall or
// reflect; also an external test package of package main, whose harness
// could not import the package to reach the memory. The check reads the file's syntax only. The prefix of the names
// harness adds is -prefix, or a fresh one; it must differ from -memory.
// # mutants
//
// Mutants lists small faults to put into the package in PKGDIR, which
// must build: in the function -func ("Func" or "Type.Method", as in funcs;
// -file says which file when it is declared in several), else in the
// non-test file -file, else in every non-test file of the package. Only
// function and method bodies are mutated (function literals in them
// included), never package-level declarations:
//
//	{"package": "coll",
//	 "mutants": [{"id": 1, "kind": "conditional_negation", "file": "stack.go",
//	              "line": 18, "col": 5, "end_line": 18, "end_col": 22,
//	              "stmt_line": 18, "stmt_col": 2,
//	              "original": "len(s.items) == 0", "replacement": "len(s.items) != 0"}, ...],
//	 "counts": {"arithmetic": 1, "assignment": 0, ...},
//	 "excluded": {"arithmetic": 0, "assignment": 0, ...}}
//
// The kinds, in this order:
//
//   - conditional_boundary: < and <=, > and >= swapped;
//   - conditional_negation: == and != swapped, < made >=, <= made >, and so on;
//   - arithmetic: + and -, * and / swapped, % made *, & and | swapped, ^ and
//     &^ made &, << and >> swapped (never where the swap cannot change the
//     result, as x+0 or x*1, nor + on strings);
//   - logical: && and || swapped;
//   - assignment: the same swaps in +=, -=, *=, ... (x += y made x -= y);
//   - increment_decrement: x++ and x-- swapped;
//   - sign: a unary minus dropped (-x made x);
//   - constant: an integer or floating-point literal changed (0 to 1, 1 to
//     0, any other value v to v+1), true and false swapped;
//   - removed_call: a statement that is only a call removed;
//   - zero_return: every result of one return statement replaced by its
//     type's zero value (0, "", false, nil, or *new(T) with T as the
//     signature writes it); a bare return with named results gets explicit
//     zeros. Return statements that already return only zero values are not
//     mutated.
//
// Positions are those of the file on disk (//line directives ignored),
// 1-based, with columns in bytes as in go/token; the end is the position
// just after the mutated node, whose text is original. Replacement is that
// node's text as the mutant writes it ("" for a removed call). Stmt_line
// and stmt_col are the start of the innermost statement holding the
// mutant, except that an expression of a case or select clause counts as
// its switch or select statement's: that position always lies inside one
// of the blocks of go tool cover, so a cover profile says whether the tests
// reached the mutant (the block holding it was executed).
//
// Only mutants that compile count, and only those that compile in the
// form that schemata writes, where they are switched at run time: the
// package is type-checked with every mutant so written, and the mutants
// whose code fails are left out (a literal of a constant declaration or
// of an array length, for instance: switched at run time it would no longer
// be a constant). So are the mutants that compile in that form but not on
// their own: a case or map key that would repeat another, a constant index
// out of an array's range, a division by a constant zero, a constant that
// overflows; a panic that the function needs as its terminating statement;
// an assignment or increment, or a call statement, that is the init or post
// statement of an if, for or switch and cannot be rewritten in place; and,
// in a module older than go1.18, an operator on a type declared inside a
// function (the helpers that switch operators are then declared for
// concrete types only). A removed call or zero return may leave a variable
// or an import of the function otherwise unused; the mutant counts as if it
// still used them (the _ = x that go-mutesting adds), which the run-time
// form does.
//
// Counts are the mutants of each kind that compile, before the cap;
// excluded, those left out as above. At most -max mutants are listed
// (default 24; 0 lists all): the kinds take turns in the order above, each
// turn giving one more mutant to every kind that has one left, until -max
// are given; the q mutants of a kind that has n are its ⌊(2i+1)·n/2q⌋-th in
// source order, for i from 0 to q-1 (spread evenly, the middle one when q
// is 1). The list is in source order (file, then position, outer node
// first), with ids 1 to n. The same target always gives the same list.
//
// # schemata
//
// Schemata rewrites the file F.go of the package in PKGDIR so that the
// mutants of F.go in MUTANTS.json (the output of mutants; those of other
// files are ignored) are all present, each behind a run-time test of EXPR,
// a Go expression of type uint32 that the rest of the package declares:
// where EXPR == k, the code behaves as mutant k, and as the original
// everywhere else (in particular where EXPR == 0). INSTRUMENTED.go is the
// source to rewrite: F.go itself, or F.go after go tool cover -mode=set
// (legacy output: the same lines, with counter statements inserted on them
// and a counter variable declared at the end, which may have been changed
// since):
//
//	{"file": "stack.go", "source": "//line stack.go:1:1\npackage coll\n...", "mutants": [12, 13, 14]}
//
// Each site is found in INSTRUMENTED.go by its structure, not its columns:
// the node of the same kind on the same line (one line below if a //line
// directive was added above the package clause), the k-th such node there
// when it is the k-th in F.go, whose tokens are F.go's once inserted
// statements (those rooted at an identifier that F.go never mentions, as a
// cover counter) and braces are left out. A site that cannot be found, or a
// mutant that is not one of F.go as it is now, is an error.
//
// The rewrite evaluates every operand once and in the original order,
// keeps && and || short-circuiting, and keeps every line where it was (a
// panic in the rewritten code reports the original line). It adds no
// statement outside the mutated statements themselves and no function
// literal: an operator becomes a call of a helper function,
// sel_TAG_lt1(EXPR, k1, k2, x, y) for x < y; an == or != becomes
// ((x == y) != (EXPR == k)); && and || become (((x) != m) && ((y) != m))
// != m with m = (EXPR == k); a constant expression holding a mutant becomes
// a helper that picks between two constants, the expression as written and
// as mutated, so that its value is computed by the compiler as before; a
// removed call becomes if EXPR != k { f() }; a zero return becomes
// if EXPR == k { return 0, nil } else { return x, err }; an assignment or
// increment becomes if EXPR == k { x-- } else { x++ }, or, as the init or
// post statement of a control statement, x = helper(EXPR, k, x). The
// helpers are declared at the end of the output, named with the secret
// prefix P (gotestrl_<16 hex digits>_, fresh when not given) and a hash of
// the file name. Function names reach the binary (runtime.FuncForPC reads
// them), so P should be one build's own, as harness's prefix is: a test
// cannot guess it, and it names nothing once the build is gone. Several
// rewritten files of one package do not clash. The helpers:
// for a type the file can name at package level, a helper of that type;
// otherwise (a type parameter, a type declared in a function) a generic
// helper, instantiated explicitly where the type can be written.
//
// Schemata writes the source only; the package with EXPR declared is what
// type-checks it. Serve also accepts "src_text" and "mutants_text", the
// texts themselves, instead of "src" and "mutants".
//
// # testcalls
//
// Testcalls finds the package's own tests of each of its functions, for
// training on the tests that repos already have. It loads the package in
// PKGDIR with its test files and types, and lists every top-level test of
// its _test.go files (in-package and external) with the functions and
// methods of the package, declared in its non-test files, that the test's
// body calls directly: in the test itself or a function literal in it (a
// subtest), not in a helper it calls. A call through an interface reaches
// no one function and is not counted; a generic function or method is
// named without its type arguments.
//
//	{"package": "shapes", "import_path": "example.com/shapes",
//	 "tests": [{"name": "TestTotal", "file": "shapes_test.go",
//	            "external": false, "calls": ["Total"]}],
//	 "targets": [{"function": "Total", "tests": ["TestTotal"], "external": false,
//	              "source": "package shapes\n\nimport (\n\t\"testing\"\n)\n..."}]}
//
// Each target is a called function ("Func" or "Type.Method", as in funcs;
// only NAME with -func) with the tests that call it, as one test file:
// those tests and every declaration of the test files that they use,
// transitively (a type with its methods), in source order with their doc
// comments, under the imports of their files, the unused ones removed. A
// function's tests are its in-package tests when it has any, else its
// external ones (package x_test), since one file cannot hold both. A test
// package that does not type-check gives no tests. TestMain and init
// functions are never included: the file is meant to build on its own
// beside the package.
//
// # serve
//
// Serve answers requests for the other subcommands, one JSON object per
// line on standard input, until end of input:
//
//	{"id": 1, "cmd": "cover", "args": {"profile": "c.out", "dir": "pkg", "func": "Stack.Pop"}}
//
// Args are named like the flags, without the dash. Imports, assertions and
// harness also accept "src_text", the source itself, instead of "src"; the
// file is then called "name" if given, else generated_test.go. Each request gets
// schemata also accept "src_text", the source itself, instead of "src";
// for imports and assertions the file is then called "name" if given, else
// generated_test.go. Each request gets
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
//
// Mutants of a function, then one build that holds them all, switched by
// a variable that a test file of the package sets:
//
//	$ gotools mutants -dir ./calc -func Abs -max 2 > mutants.json
//	$ cat mutants.json
//	{"package":"calc","mutants":[{"id":1,"kind":"conditional_boundary","file":"calc.go",
//	 "line":6,"col":5,"end_line":6,"end_col":10,"stmt_line":6,"stmt_col":2,
//	 "original":"x < 0","replacement":"x <= 0"},{"id":2,"kind":"conditional_negation",
//	 ...,"original":"x < 0","replacement":"x >= 0"}],"counts":{"arithmetic":0,...}, ...}
//	$ gotools schemata -dir ./calc -file calc.go -src calc/calc.go -mutants mutants.json -selector mutantID
//	{"file":"calc.go","source":"...func Abs(x int) int {\n\tif gotestrl_5f0c..._m3908232c_lt1(mutantID, 1, 2, x, 0) {...","mutants":[1,2]}
package main
