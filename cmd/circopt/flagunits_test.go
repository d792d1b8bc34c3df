package main

import (
	"testing"
)

func TestMaxMemoryUnits(t *testing.T) {
	for in, want := range map[string]int64{
		"1GiB": 1 << 30, "512MiB": 512 << 20, "2GB": 2e9, "4096": 4096, "1.5KiB": 1536, "10kB": 10000, "7B": 7, " 3 MB ": 3e6, "0": 0, "-5": -5,
	} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "lots", "GiB", "1XB", "1e30GB", "NaNGB", "1 2GB"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, b)
		}
	}
}

// The small CLI answers: -max-memory units, the GeneralFunction names, --version.
func TestSmallCLIAnswers(t *testing.T) {
	dir := cliFixture(t)
	writeFile(t, dir, "gf.circ", "0 'l' GeneralFunction lgo\n  1 [3] Scalar -1\n")
	for _, c := range []cliCase{
		{name: "KiB limit", args: []string{"eval", "-naive", "-max-memory", "1KiB", "{dir}/big.circ"}, code: 1,
			errs: []string{"{dir}/big.circ: the naive evaluation needs about 88000000 bytes at peak, more than the limit of 1024 "}},
		{name: "GiB fits", args: []string{"eval", "-max-memory", "1GiB", "{dir}/good.circ"}, code: 0, outHas: []string{"'a' [2] float32"}},
		{name: "garbage", args: []string{"eval", "-max-memory", "lots", "{dir}/good.circ"}, code: 2,
			errs: []string{`circopt eval: invalid value "lots" for flag -max-memory: want bytes, or a number with a unit`}},
		{name: "unknown GeneralFunction", args: []string{"eval", "{dir}/gf.circ"}, code: 1,
			errs: []string{`{dir}/gf.circ:1: GeneralFunction "l": unknown function "lgo" (known: abs, cos, exp, `}, errHas: []string{" relu, ", " tanh)"}},
		{name: "version flag", args: []string{"--version"}, code: 0, outHas: []string{"circopt ", "blas: "}},
		{name: "version flag args", args: []string{"--version", "x"}, code: 2, errs: []string{"circopt version: takes no arguments"}},
	} {
		t.Run(c.name, func(t *testing.T) { runCase(t, c, dir) })
	}
	v, _, _ := runCLI(t, "version")
	if dv, _, _ := runCLI(t, "--version"); dv != v {
		t.Errorf("--version printed %q, version %q", dv, v)
	}
}
