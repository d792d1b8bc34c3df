package main

import "testing"

func TestGetPathsTreeAndNothing(t *testing.T) {
	dir := cliFixture(t)
	for _, c := range []cliCase{
		{name: "plain", args: []string{"get", "-random-tensors", "'x'", "{dir}/skip.circ"}, code: 0, want: true, stdout: "3 'x'\n"},
		{name: "paths", args: []string{"get", "-random-tensors", "-paths", "'w1','b2'", "{dir}/skip.circ"}, code: 0, want: true,
			stdout: "0 'last' > 1 '(skip) * w2' > 2 'skip' > 4 'relu' > 5 'first' > 6 'x * w1' > 7 'w1'\n0 'last' > 10 'b2'\n"},
		{name: "paths of a chain", args: []string{"get", "-random-tensors", "-paths", "'skip' > 'x'", "{dir}/skip.circ"}, code: 0, want: true,
			stdout: "0 'last' > 1 '(skip) * w2' > 2 'skip' > 3 'x'\n"},
		{name: "tree", args: []string{"get", "-random-tensors", "-tree", "'first'", "{dir}/skip.circ"}, code: 0,
			outHas: []string{"0 'first' Add\n  1 'x * w1' Einsum a,ba->b\n    2 'x' [4] Array ", "\n    3 'w1' [4,4] Array ", "\n  4 'b1' [4] Array "}},
		{name: "nothing", args: []string{"get", "-random-tensors", "'nope'", "{dir}/skip.circ"}, code: 1, want: true,
			errs: []string{"{dir}/skip.circ: matcher \"nope\" found nothing"}},
		{name: "patch nothing says the same", args: []string{"patch", "-random-tensors", "-at", "'nope'", "-with", "{dir}/good.circ", "{dir}/skip.circ"}, code: 1, want: true,
			errs: []string{"{dir}/skip.circ: matcher \"nope\" found nothing"}},
		{name: "paths and tree", args: []string{"get", "-paths", "-tree", "'x'", "{dir}/skip.circ"}, code: 2,
			errs: []string{"circopt get: -paths and -tree do not go together"}},
	} {
		t.Run(c.name, func(t *testing.T) { runCase(t, c, dir) })
	}
}

// get -tree's output is a circuit file: it parses back.
func TestGetTreeParsesBack(t *testing.T) {
	dir := cliFixture(t)
	out, errs, code := runCLI(t, "get", "-random-tensors", "-tree", "'first','b2'", dir+"/skip.circ")
	if code != 0 {
		t.Fatalf("get: exit %d: %s", code, errs)
	}
	tree := writeFile(t, dir, "tree.circ", out)
	if _, errs, code := runCLI(t, "print", "-random-tensors", tree); code != 0 {
		t.Fatalf("print of get -tree's output: exit %d: %s\n%s", code, errs, out)
	}
}
