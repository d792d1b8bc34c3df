package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// cliCase is one invocation and what it must produce. {dir} in args and in
// the expectations is replaced by the test's temporary directory.
type cliCase struct {
	name   string
	args   []string
	code   int
	stdout string   // exact stdout, when want is set
	want   bool     // compare stdout exactly
	outHas []string // substrings stdout must contain
	errs   []string // stderr's lines must start with these, in order (exactly this many)
	errHas []string // substrings stderr must contain
}

// cliFixture writes the inputs the table tests share.
func cliFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "good.circ", "0 'a' [2] Scalar 1.5\n")
	writeFile(t, dir, "tenth.circ", "0 'z' [] Scalar 0.1\n")
	writeFile(t, dir, "free.circ", "0 'y' Einsum a,a->a\n  1 'x' [2] Symbol 6f1c1e0a-8a3e-4d9b-9d7e-2f7f0e0b9a11\n  1\n")
	writeFile(t, dir, "twox.circ", "0 'y' Add\n  1 'x' [2] Symbol "+uuidA+"\n  2 'scaled' Einsum a,->a\n    3 'x' [2] Symbol "+uuidB+"\n    4 'ten' [] Scalar 10\n")
	writeFile(t, dir, "twoshapes.circ", "0 'p' [2] Symbol "+uuidA+"\n1 'q' [3] Symbol "+uuidA+"\n")
	writeFile(t, dir, "multi.circ", "0 [2] Scalar 1\n1 [3] Scalar 2\n2 'd' [1] Scalar 3\n3 'd' [1] Scalar 4\n")
	writeFile(t, dir, "crlf.circ", "0 'a' [2] Scalar 1\r\n1 'b' Add\r\n  0\r\n  2 'c' [2] Scalar 2\r\n")
	writeFile(t, dir, "nan.circ", "0 'l' GeneralFunction log\n  1 [3] Scalar -1\n")
	writeFile(t, dir, "huge.circ", "0 'a' [100000000000] Scalar 1\n")
	writeFile(t, dir, "big.circ", "0 'a' [1000,1000] Scalar 1\n")
	writeFile(t, dir, "empty.circ", "")
	writeFile(t, dir, "garbage.circ", "\x9a\xfd\x00\xff binary\n")
	writeFile(t, dir, "bad.circ", "0 'a' [2] Scalar 1.5\n  1 'b' Bogus\n")
	writeFile(t, dir, "quote.circ", "0 'it\\'s \\\\ \"q\"' [2] Scalar 1\n")
	writeFile(t, dir, "skip.circ", skipCirc)
	writeFile(t, dir, "notnpy.npy", "garbage")
	saveNpy(t, dir, "x2.npy", []int{2}, []float64{3, -2})
	saveNpy(t, dir, "x2b.npy", []int{2}, []float64{1, 4})
	saveNpy(t, dir, "x3.npy", []int{3}, []float64{1, 2, 3})
	writeRawNpy(t, filepath.Join(dir, "xi.npy"), "<i8", "(2,)", []byte{3, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	writeRawNpy(t, filepath.Join(dir, "xb.npy"), "|b1", "(2,)", []byte{1, 0})
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Two uuids for Symbols that share a name.
const (
	uuidA = "11111111-1111-4111-8111-111111111111"
	uuidB = "22222222-2222-4222-8222-222222222222"
)

// writeRawNpy writes a version 1.0 .npy file by hand, for dtypes the
// tensor package cannot save.
func writeRawNpy(t *testing.T, path, descr, shape string, data []byte) {
	t.Helper()
	hdr := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
	b = append(append(b, hdr...), data...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCLITable(t *testing.T) {
	dir := cliFixture(t)
	const uuid = "6f1c1e0a-8a3e-4d9b-9d7e-2f7f0e0b9a11"
	cases := []cliCase{
		// usage and help
		{name: "no args", args: nil, code: 2, errHas: []string{"usage: circopt COMMAND", "eval", "verify"}},
		{name: "-h", args: []string{"-h"}, code: 0, outHas: []string{"usage: circopt COMMAND", "tensors"}},
		{name: "help eval", args: []string{"help", "eval"}, code: 0, outHas: []string{"usage: circopt eval", "-bind NAME=FILE.npy", "-dtype"}},
		{name: "help nosuch", args: []string{"help", "nosuch"}, code: 2, errs: []string{"circopt help: unknown command"}},
		{name: "eval -h", args: []string{"eval", "-h"}, code: 0, outHas: []string{"usage: circopt eval", "-format", "-random-tensors\n"}},
		{name: "print -help", args: []string{"print", "-help"}, code: 0, outHas: []string{"usage: circopt print [-serials] [-random-tensors] [-tensors DIR] FILE|-"}},
		{name: "tensors -h", args: []string{"tensors", "-h"}, code: 0, outHas: []string{"usage: circopt tensors add [-store DIR] FILE... | tensors ls [-store DIR]"}},
		{name: "tensors add -h", args: []string{"tensors", "add", "-h"}, code: 0, outHas: []string{"-store DIR"}},
		{name: "unknown command", args: []string{"nosuch"}, code: 2, errs: []string{`circopt: unknown command "nosuch"`}},
		{name: "unknown flag", args: []string{"print", "-nosuch", "{dir}/good.circ"}, code: 2,
			errs: []string{"circopt print: flag provided but not defined: -nosuch"}},
		{name: "missing FILE", args: []string{"eval"}, code: 2, errs: []string{"circopt eval: missing FILE argument"}},
		{name: "two FILEs", args: []string{"print", "{dir}/good.circ", "{dir}/good.circ"}, code: 2, errs: []string{"circopt print: want exactly one FILE"}},
		{name: "bad dtype", args: []string{"eval", "-dtype", "int64", "{dir}/good.circ"}, code: 2, errs: []string{"circopt eval: -dtype must be float32 or float64"}},
		{name: "bad format", args: []string{"eval", "-format", "xml", "{dir}/good.circ"}, code: 2, errs: []string{"circopt eval: -format must be text or json"}},
		{name: "bad seed", args: []string{"eval", "-seed", "-1", "{dir}/good.circ"}, code: 2, errs: []string{"circopt eval: invalid value \"-1\" for flag -seed"}},
		{name: "negative rtol", args: []string{"verify", "-rtol", "-1", "{dir}/good.circ"}, code: 2, errs: []string{"circopt verify: -rtol and -atol"}},
		{name: "version takes no args", args: []string{"version", "x"}, code: 2, errs: []string{"circopt version: takes no arguments"}},
		{name: "rewrite -list takes no args", args: []string{"rewrite", "-list", "x"}, code: 2, errs: []string{"circopt rewrite: takes no arguments"}},
		{name: "tensors without add", args: []string{"tensors", "{dir}/x2.npy"}, code: 2, errs: []string{"circopt tensors: want the subcommand add or ls"}},

		// flags after the file, and "--"
		{name: "flags after FILE", args: []string{"eval", "{dir}/good.circ", "-format", "json"}, code: 0, want: true,
			stdout: `{"outputs":[{"name":"a","shape":[2],"dtype":"float32","data":[1.5,1.5]}]}` + "\n"},
		{name: "-- ends flags", args: []string{"eval", "--", "{dir}/good.circ"}, code: 0, outHas: []string{"'a' [2] float32"}},

		// eval output
		{name: "float32 shortest", args: []string{"eval", "{dir}/tenth.circ"}, code: 0, want: true, stdout: "'z' [] float32\n[0.1]\n"},
		{name: "float32 json scalar", args: []string{"eval", "-format", "json", "{dir}/tenth.circ"}, code: 0, want: true,
			stdout: `{"outputs":[{"name":"z","shape":[],"dtype":"float32","data":[0.1]}]}` + "\n"},
		{name: "float64 json", args: []string{"eval", "-dtype", "float64", "-naive", "-format", "json", "{dir}/tenth.circ"}, code: 0, want: true,
			stdout: `{"outputs":[{"name":"z","shape":[],"dtype":"float64","data":[0.1]}]}` + "\n"},
		{name: "unnamed and duplicate roots", args: []string{"eval", "-format", "json", "{dir}/multi.circ"}, code: 0, want: true,
			stdout: `{"outputs":[{"name":"output0","shape":[2],"dtype":"float32","data":[1,1]},{"name":"output1","shape":[3],"dtype":"float32","data":[2,2,2]},{"name":"d","shape":[1],"dtype":"float32","data":[3]},{"name":"d#2","shape":[1],"dtype":"float32","data":[4]}]}` + "\n"},
		{name: "verify names like eval", args: []string{"verify", "-format", "json", "{dir}/multi.circ"}, code: 0, outHas: []string{`"name":"output0"`, `"name":"d#2"`, `"first_bad_pass":null`}},
		{name: "nan in json", args: []string{"eval", "-format", "json", "{dir}/nan.circ"}, code: 0, want: true,
			stdout: `{"outputs":[{"name":"l","shape":[3],"dtype":"float32","data":["nan","nan","nan"]}]}` + "\n"},
		{name: "quoted name", args: []string{"eval", "{dir}/quote.circ"}, code: 0, want: true, stdout: "'it\\'s \\\\ \"q\"' [2] float32\n[1 1]\n"},
		{name: "crlf", args: []string{"eval", "{dir}/crlf.circ"}, code: 0, want: true, stdout: "'a' [2] float32\n[1 1]\n'b' [2] float32\n[3 3]\n"},
		{name: "empty file", args: []string{"eval", "-format", "json", "{dir}/empty.circ"}, code: 0, want: true, stdout: `{"outputs":[]}` + "\n"},

		// bad input: exit 1, one line naming the file, nothing on stdout
		{name: "garbage", args: []string{"eval", "{dir}/garbage.circ"}, code: 1, want: true, errs: []string{"{dir}/garbage.circ:1: "}},
		{name: "parse error line", args: []string{"print", "{dir}/bad.circ"}, code: 1, want: true, errs: []string{"{dir}/bad.circ:2: "}},
		{name: "missing file", args: []string{"print", "{dir}/nosuch.circ"}, code: 1, want: true, errs: []string{"{dir}/nosuch.circ: no such file or directory"}},
		{name: "directory", args: []string{"eval", "{dir}/sub"}, code: 1, want: true, errs: []string{"{dir}/sub: is a directory"}},
		// a Scalar's shape is not an allocation: it parses, and evaluating it is refused
		{name: "huge shape", args: []string{"eval", "{dir}/huge.circ"}, code: 1, want: true, errs: []string{"{dir}/huge.circ: the compiled plan needs about"}},
		{name: "memory limit compiled", args: []string{"eval", "-max-memory", "1000", "{dir}/big.circ"}, code: 1, want: true,
			errs: []string{"{dir}/big.circ: the compiled plan needs about"}},
		{name: "memory limit naive", args: []string{"eval", "-naive", "-max-memory", "1000", "{dir}/big.circ"}, code: 1, want: true,
			errs: []string{"{dir}/big.circ: the naive evaluation needs about"}},
		{name: "tensor store missing", args: []string{"eval", "-tensors", "{dir}/nostore", "{dir}/good.circ"}, code: 1, want: true,
			errs: []string{"{dir}/nostore: tensor store: no such file or directory"}},
		{name: "tensor store is a file", args: []string{"eval", "-tensors", "{dir}/x2.npy", "{dir}/good.circ"}, code: 1, want: true,
			errs: []string{"{dir}/x2.npy: tensor store: not a directory"}},

		// -bind
		{name: "bind by name", args: []string{"eval", "-bind", "x={dir}/x2.npy", "{dir}/free.circ"}, code: 0, want: true, stdout: "'y' [2] float32\n[9 4]\n"},
		{name: "bind by uuid naive", args: []string{"eval", "-naive", "-bind", uuid + "={dir}/x2.npy", "{dir}/free.circ"}, code: 0, want: true, stdout: "'y' [2] float32\n[9 4]\n"},
		{name: "bind by uuid compiled", args: []string{"eval", "-bind", uuid + "={dir}/x2.npy", "{dir}/free.circ", "-format", "json"}, code: 0, want: true,
			stdout: `{"outputs":[{"name":"y","shape":[2],"dtype":"float32","data":[9,4]}]}` + "\n"},
		{name: "verify flags after FILE", args: []string{"verify", "{dir}/free.circ", "-format", "json", "-seed", "3"}, code: 0, want: true,
			stdout: `{"ok":true,"outputs":[{"name":"y","max_abs_err":0,"max_rel_err":0}],"first_bad_pass":null}` + "\n"},
		{name: "unbound", args: []string{"eval", "{dir}/free.circ"}, code: 1, want: true, errs: []string{"{dir}/free.circ: unbound Symbol 'x' of shape [2] (pass -bind x=FILE.npy or -random-symbols)"}},
		{name: "bind wrong shape", args: []string{"eval", "-bind", "x={dir}/x3.npy", "{dir}/free.circ"}, code: 1, want: true,
			errs: []string{"{dir}/x3.npy: -bind x: array of shape [3], but Symbol 'x' has shape [2]"}},
		{name: "bind int", args: []string{"eval", "-bind", "x={dir}/xi.npy", "{dir}/free.circ"}, code: 1, want: true, errs: []string{"{dir}/xi.npy: -bind x: an integer or bool array"}},
		{name: "bind bool", args: []string{"eval", "-bind", "x={dir}/xb.npy", "{dir}/free.circ"}, code: 1, want: true, errs: []string{"{dir}/xb.npy: -bind x: an integer or bool array"}},
		{name: "bind not npy", args: []string{"eval", "-bind", "x={dir}/notnpy.npy", "{dir}/free.circ"}, code: 1, want: true, errs: []string{"{dir}/notnpy.npy: npy: "}},
		{name: "bind missing npy", args: []string{"eval", "-bind", "x={dir}/no.npy", "{dir}/free.circ"}, code: 1, want: true, errs: []string{"{dir}/no.npy: no such file or directory"}},
		{name: "bind directory", args: []string{"eval", "-bind", "x={dir}/sub", "{dir}/free.circ"}, code: 1, want: true, errs: []string{"{dir}/sub: is a directory"}},
		{name: "bind unknown name", args: []string{"eval", "-bind", "x={dir}/x2.npy", "-bind", "zz={dir}/x2.npy", "{dir}/free.circ"}, code: 1, want: true,
			errs: []string{"{dir}/free.circ: -bind zz: no free Symbol has that name or uuid (free Symbols: x)"}},
		{name: "bind twice", args: []string{"eval", "-bind", "x={dir}/x2.npy", "-bind", "x={dir}/x3.npy", "{dir}/free.circ"}, code: 2, want: true,
			errs: []string{"circopt eval: -bind x given twice"}},
		{name: "bind by name and uuid", args: []string{"eval", "-bind", "x={dir}/x2.npy", "-bind", uuid + "={dir}/x3.npy", "{dir}/free.circ"}, code: 1, want: true,
			errs: []string{"{dir}/free.circ: Symbol 'x' is bound twice"}},
		{name: "shared name by uuid naive", args: []string{"eval", "-naive", "-bind", uuidA + "={dir}/x2.npy", "-bind", uuidB + "={dir}/x2b.npy", "{dir}/twox.circ"}, code: 0, want: true,
			stdout: "'y' [2] float32\n[13 38]\n"},
		{name: "shared name by uuid compiled", args: []string{"eval", "-bind", uuidA + "={dir}/x2.npy", "-bind", uuidB + "={dir}/x2b.npy", "{dir}/twox.circ"}, code: 0, want: true,
			stdout: "'y' [2] float32\n[13 38]\n"},
		{name: "shared name by name", args: []string{"eval", "-bind", "x={dir}/x2.npy", "{dir}/twox.circ"}, code: 1, want: true,
			errs: []string{"{dir}/twox.circ: binding \"x\" is ambiguous: Symbols \"x\" (Symbol) (uuid " + uuidA + ") and \"x\" (Symbol) (uuid " + uuidB + ") share that name"}},
		{name: "bind missing uuid", args: []string{"eval", "-bind", uuidA + "={dir}/x2.npy", "-bind", uuid + "={dir}/x2b.npy", "{dir}/twox.circ"}, code: 1, want: true,
			errs: []string{"{dir}/twox.circ: unbound Symbol 'x' of shape [2]", "{dir}/twox.circ: -bind " + uuid + ": no free Symbol has that name or uuid"}},
		{name: "uuid shared by two shapes", args: []string{"eval", "-naive", "-bind", uuidA + "={dir}/x2.npy", "{dir}/twoshapes.circ"}, code: 1, want: true,
			errs: []string{"{dir}/twoshapes.circ: uuid " + uuidA + " is shared by Symbols"}},
		{name: "bind malformed", args: []string{"eval", "-bind", "x", "{dir}/free.circ"}, code: 2, want: true, errs: []string{"circopt eval: -bind wants NAME=FILE.npy"}},
		{name: "verify bind unknown", args: []string{"verify", "-bind", "zz={dir}/x2.npy", "{dir}/free.circ"}, code: 1, want: true,
			errs: []string{"{dir}/free.circ: -bind zz: no free Symbol"}},
		{name: "verify bind", args: []string{"verify", "-bind", "x={dir}/x2.npy", "{dir}/free.circ"}, code: 0, outHas: []string{"ok 'y'"}},

		// the other commands' bad input
		{name: "opt garbage", args: []string{"opt", "{dir}/garbage.circ"}, code: 1, want: true, errs: []string{"{dir}/garbage.circ:1: "}},
		{name: "stats directory", args: []string{"stats", "{dir}/sub"}, code: 1, want: true, errs: []string{"{dir}/sub: is a directory"}},
		{name: "patch both stdin", args: []string{"patch", "-at", "'x'", "-with", "-", "-"}, code: 2, errs: []string{"circopt patch: -with and FILE cannot both read standard input"}},
		{name: "tensors add bad file", args: []string{"tensors", "add", "-store", "{dir}/store", "{dir}/x2.npy", "{dir}/notnpy.npy", "{dir}/no.npy"}, code: 1, want: true,
			errs: []string{"{dir}/notnpy.npy: npy: ", "{dir}/no.npy: no such file or directory"}},
		{name: "tensors add store is a file", args: []string{"tensors", "add", "-store", "{dir}/x2.npy", "{dir}/x2.npy"}, code: 1, want: true,
			errs: []string{"{dir}/x2.npy: tensor store: not a directory"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runCase(t, c, dir) })
	}
}

// runCase runs c with {dir} replaced by dir and checks everything it states.
func runCase(t *testing.T, c cliCase, dir string) {
	t.Helper()
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = strings.ReplaceAll(a, "{dir}", dir)
	}
	stdout, stderr, code := runCLI(t, args...)
	if code != c.code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
	}
	if strings.Contains(stderr, "internal error") || strings.Contains(stderr, "goroutine") {
		t.Fatalf("panic: %s", stderr)
	}
	if c.want && stdout != strings.ReplaceAll(c.stdout, "{dir}", dir) {
		t.Errorf("stdout\n%q\nwant\n%q", stdout, c.stdout)
	}
	for _, s := range c.outHas {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout)
		}
	}
	for _, s := range c.errHas {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	if c.errs != nil {
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if len(lines) != len(c.errs) {
			t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(c.errs), stderr)
		}
		for i, p := range c.errs {
			if p = strings.ReplaceAll(p, "{dir}", dir); !strings.HasPrefix(lines[i], p) {
				t.Errorf("stderr line %d = %q, want prefix %q", i+1, lines[i], p)
			}
		}
	}
}

// TestEvalStdin reads the circuit from standard input.
func TestEvalStdin(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "in.circ", "0 'a' [2] Scalar 2\n")
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	stdout, stderr, code := runCLI(t, "print", "-")
	if code != 0 || stdout != "'a' [2] Scalar 2\n" {
		t.Fatalf("print -: %d %q %q", code, stdout, stderr)
	}
	bad, err := os.Open(writeFile(t, dir, "bad.circ", "0 'a' Bogus\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	os.Stdin = bad
	_, stderr, code = runCLI(t, "eval", "-")
	if code != 1 || !strings.HasPrefix(stderr, "<stdin>:1: ") {
		t.Fatalf("eval - of a bad circuit: %d %q", code, stderr)
	}
}

// TestEvalNaiveCompiledDTypes evaluates the same file naive and compiled,
// in float32 and float64, and checks all four agree with the value worked
// by hand: relu([1,-2] + [0.5,0.5]) . [2,3] summed = 2*1.5 + 3*0 = 3.
func TestEvalNaiveCompiledDTypes(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "dot.circ", `0 'dot' Einsum a,a->
  1 GeneralFunction relu
    2 'h' Add
      3 'x' [2] Symbol 6f1c1e0a-8a3e-4d9b-9d7e-2f7f0e0b9a11
      4 [2] Scalar 0.5
  5 'w' [2] Symbol 7f1c1e0a-8a3e-4d9b-9d7e-2f7f0e0b9a11
`)
	x := saveNpy(t, dir, "x.npy", []int{2}, []float64{1, -2})
	w := saveNpy(t, dir, "w.npy", []int{2}, []float64{2, 3})
	for _, dt := range []string{"float32", "float64"} {
		for _, naive := range []bool{false, true} {
			args := []string{"eval", "-format", "json", "-dtype", dt, "-bind", "x=" + x, "-bind", "w=" + w, f}
			if naive {
				args = append(args, "-naive")
			}
			stdout, stderr, code := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("%v: %d %s", args, code, stderr)
			}
			got := decodeEvalJSON(t, stdout)
			if len(got.Outputs) != 1 || got.Outputs[0].Name != "dot" || got.Outputs[0].DType != dt ||
				got.Outputs[0].Shape == nil || len(got.Outputs[0].Shape) != 0 || !reflect.DeepEqual(got.Outputs[0].Data, []float64{3}) {
				t.Errorf("%s naive=%v: %s", dt, naive, stdout)
			}
		}
	}
}

// TestCLIMoreErrors covers the compiler commands' own flag checks and the
// name collisions verify must refuse.
func TestCLIMoreErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.circ", "0 'a' [2] Scalar 1.5\n")
	twox := writeFile(t, dir, "twox.circ", "0 'x' [2] Symbol\n1 'x' [3] Symbol\n")
	rnd := writeFile(t, dir, "rand.circ", "0 'w' [1000,1000] Array rand\n")
	cases := []cliCase{
		{name: "disable required pass", args: []string{"opt", "-disable", "deadcode", good}, code: 2,
			errs: []string{`circopt opt: pass "deadcode" is required and cannot be disabled`}},
		{name: "disable unknown pass", args: []string{"stats", "-disable", "nosuch", good}, code: 2,
			errs: []string{`circopt stats: unknown pass "nosuch"`}},
		{name: "disable two passes with spaces", args: []string{"opt", "-disable", "cse, late cse", good}, code: 0, outHas: []string{`output "a"`}},
		{name: "verify same name two shapes", args: []string{"verify", twox}, code: 1, want: true,
			errs: []string{twox + ": two free Symbols named 'x' have shapes [2] and [3]"}},
		{name: "negative max-memory", args: []string{"eval", "-max-memory", "-5", good}, code: 2,
			errs: []string{"circopt eval: -max-memory must be at least 0"}},
		{name: "random array over the limit", args: []string{"print", "-max-memory", "1000", rnd}, code: 1, want: true,
			errs: []string{rnd + ":1: "}},
		{name: "verify over the limit", args: []string{"verify", "-max-memory", "1000", good}, code: 0, outHas: []string{"ok 'a'"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runCase(t, c, dir) })
	}
}
