package weights

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

func TestDefaultStoreDir(t *testing.T) {
	t.Setenv(StoreEnv, "/some/where")
	if d, err := DefaultStoreDir(); err != nil || d != "/some/where" {
		t.Errorf("with %s set: %q %v", StoreEnv, d, err)
	}
	t.Setenv(StoreEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	t.Setenv("HOME", "/home/u")
	if d, err := DefaultStoreDir(); err != nil || !strings.HasSuffix(d, filepath.Join("circopt", "tensors")) {
		t.Errorf("default: %q %v", d, err)
	}
}

func TestAddHashedAndHas(t *testing.T) {
	s, err := OpenOrCreateStore(filepath.Join(t.TempDir(), "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	x := mustF32(t, []int{3}, []float32{1, 2, 3})
	h := tensor.ContentHashHex(x)
	if s.Has(h) {
		t.Fatal("an empty store has the tensor")
	}
	if err := s.AddHashed(x, h); err != nil {
		t.Fatal(err)
	}
	if !s.Has(h) {
		t.Fatal("AddHashed did not store the tensor")
	}
	if got, _, err := s.Resolve(h[:8]); err != nil || !tensor.AllClose(got, x, 0, 0) {
		t.Errorf("Resolve after AddHashed: %v", err)
	}
	for _, bad := range []string{"", "abc", strings.ToUpper(h)} {
		if err := s.AddHashed(x, bad); err == nil {
			t.Errorf("AddHashed accepted hash %q", bad)
		}
	}
	if err := s.AddHashed(nil, h); err == nil {
		t.Error("AddHashed accepted a nil tensor")
	}
	if _, err := s.Add(nil); err == nil {
		t.Error("Add accepted a nil tensor")
	}
}
