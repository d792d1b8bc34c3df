package weights

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/circopt/circopt/tensor"
)

func TestStoreAddResolve(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	x := mustF32(t, []int{2, 2}, []float32{1, 2, 3, 4})
	h, err := s.Add(x)
	if err != nil {
		t.Fatal(err)
	}
	if h != tensor.ContentHashHex(x) || len(h) != 64 {
		t.Fatalf("hash %s, want %s", h, tensor.ContentHashHex(x))
	}
	if _, err := os.Stat(filepath.Join(dir, h+".npy")); err != nil {
		t.Fatal(err)
	}
	// Idempotent: same hash, still one file, no temporaries left.
	h2, err := s.Add(x.Clone())
	if err != nil || h2 != h {
		t.Fatalf("second Add: %s, %v", h2, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("store holds %d files", len(ents))
	}
	for _, prefix := range []string{h[:1], h[:8], h} {
		got, full, err := s.Resolve(prefix)
		if err != nil {
			t.Fatal(err)
		}
		if full != h {
			t.Errorf("Resolve(%s) hash %s", prefix, full)
		}
		checkTensor(t, got, tensor.Float32, []int{2, 2}, []float64{1, 2, 3, 4})
	}
	// A fresh store over the same directory reads the file.
	s2, _ := OpenStore(dir)
	if got, _, err := s2.Resolve(h[:10]); err != nil || tensor.ContentHashHex(got) != h {
		t.Fatalf("fresh store: %v", err)
	}
}

func TestStoreAmbiguousAndMissing(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenStore(dir)
	// 40 tensors make some shared one-digit prefix certain (16 digits).
	byFirst := map[byte][]string{}
	for i := 0; i < 40; i++ {
		h, err := s.Add(tensor.ScalarOf(tensor.Float64, float64(i)))
		if err != nil {
			t.Fatal(err)
		}
		byFirst[h[0]] = append(byFirst[h[0]], h)
	}
	for c, hs := range byFirst {
		_, _, err := s.Resolve(string(c))
		if len(hs) == 1 {
			if err != nil {
				t.Errorf("unique prefix %c: %v", c, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "ambiguous") || !strings.Contains(err.Error(), fmt.Sprintf("%d candidates", len(hs))) {
			t.Errorf("prefix %c with %d matches: err %v", c, len(hs), err)
		}
	}
	missing := "0000000000000000000000000000000000000000000000000000000000000000"
	_, _, err := s.Resolve(missing)
	want := "no tensor with hash prefix " + missing + " in store " + dir
	if err == nil || err.Error() != want {
		t.Errorf("missing: %v, want %q", err, want)
	}
	for _, bad := range []string{"", "ABC", "xyz", "12 3", strings.Repeat("a", 65)} {
		if _, _, err := s.Resolve(bad); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
	if _, err := OpenStore(filepath.Join(dir, "nope")); err == nil {
		t.Error("missing dir opened")
	}
}

func TestStoreCorrupted(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenStore(dir)
	x := mustF32(t, []int{3}, []float32{1, 2, 3})
	y := mustF32(t, []int{3}, []float32{1, 2, 4})
	hx := tensor.ContentHashHex(x)
	hy := tensor.ContentHashHex(y)
	// y's content under x's name.
	var b bytes.Buffer
	if err := WriteNpy(&b, y); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, hx+".npy"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Resolve(hx[:6])
	want := fmt.Sprintf("tensor %s in store %s is corrupted: content hash is %s", hx, dir, hy)
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	// Truncated file.
	if err := os.WriteFile(filepath.Join(dir, hy+".npy"), b.Bytes()[:b.Len()-2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Resolve(hy); err == nil || !strings.Contains(err.Error(), hy) {
		t.Errorf("truncated: %v", err)
	}
}

func TestStoreConcurrent(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	var hashes []string
	for i := 0; i < 8; i++ {
		h, err := s.Add(tensor.ScalarOf(tensor.Int64, float64(i)))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, h := range hashes {
				x, full, err := s.Resolve(h)
				if err != nil || full != h || tensor.ContentHashHex(x) != h {
					t.Errorf("Resolve(%s): %v", h, err)
				}
				if _, err := s.Add(x); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
