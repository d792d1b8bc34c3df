package weights

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/circopt/circopt/tensor"
)

// Store is a content-addressed tensor store: a directory of <hash>.npy
// files, where hash is tensor.ContentHashHex of the file's tensor (64
// lowercase hex digits). Loaded tensors are cached; a Store is safe for
// concurrent use. Tensors returned by Resolve are shared through the cache
// and, like all tensors, must not be modified.
type Store struct {
	Dir string

	mu    sync.Mutex
	cache map[string]*tensor.Tensor // full hash -> verified tensor
}

// hashLen is the length of a full content hash in hex digits.
const hashLen = 64

// OpenStore opens the store in dir, which must be an existing directory.
func OpenStore(dir string) (*Store, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("tensor store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("tensor store %s is not a directory", dir)
	}
	return &Store{Dir: dir}, nil
}

// Add stores t under its content hash and returns the hash. Adding a
// tensor already present does nothing. The file is written to a temporary
// name and renamed, so a reader never sees a partial file.
func (s *Store) Add(t *tensor.Tensor) (string, error) {
	if t == nil {
		return "", fmt.Errorf("tensor store %s: no tensor to add", s.Dir)
	}
	hash := tensor.ContentHashHex(t)
	return hash, s.put(t, hash)
}

// AddHashed stores t under hash, which the caller already computed as
// tensor.ContentHashHex(t) (a circuit.Array's ContentHash), skipping the
// re-hash of what is already stored. A hash that is not 64 lowercase hex
// digits is refused; a wrong one is caught when the file is loaded.
func (s *Store) AddHashed(t *tensor.Tensor, hash string) error {
	if t == nil {
		return fmt.Errorf("tensor store %s: no tensor to add under %s", s.Dir, hash)
	}
	if len(hash) != hashLen || strings.Trim(hash, "0123456789abcdef") != "" {
		return fmt.Errorf("tensor store %s: %q is not a full content hash", s.Dir, hash)
	}
	return s.put(t, hash)
}

// Has reports whether a tensor is stored under the full hash.
func (s *Store) Has(hash string) bool {
	_, err := os.Stat(filepath.Join(s.Dir, hash+".npy"))
	return err == nil
}

// put writes t as <hash>.npy unless that file exists.
func (s *Store) put(t *tensor.Tensor, hash string) error {
	path := filepath.Join(s.Dir, hash+".npy")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp, err := os.CreateTemp(s.Dir, ".add-*.npy.tmp")
	if err != nil {
		return fmt.Errorf("tensor store %s: %w", s.Dir, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := WriteNpy(tmp, t); err != nil {
		tmp.Close()
		return fmt.Errorf("tensor store %s: writing %s: %w", s.Dir, hash, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tensor store %s: %w", s.Dir, err)
	}
	// rename is atomic: a concurrent writer of the same hash wrote the same bytes
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("tensor store %s: %w", s.Dir, err)
	}
	return nil
}

// Resolve returns the unique stored tensor whose hash starts with prefix
// (lowercase hex), with its full hash. The loaded content is re-hashed and
// refused if it does not match the file name.
func (s *Store) Resolve(prefix string) (*tensor.Tensor, string, error) {
	if prefix == "" {
		return nil, "", fmt.Errorf("empty tensor hash prefix")
	}
	if len(prefix) > hashLen || strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil, "", fmt.Errorf("tensor hash prefix %q is not lowercase hex of at most %d digits", prefix, hashLen)
	}
	if len(prefix) == hashLen {
		// A full hash cannot be ambiguous, so a cached copy answers it.
		s.mu.Lock()
		t, ok := s.cache[prefix]
		s.mu.Unlock()
		if ok {
			return t, prefix, nil
		}
	}
	matches, err := s.find(prefix)
	if err != nil {
		return nil, "", err
	}
	switch len(matches) {
	case 0:
		return nil, "", fmt.Errorf("no tensor with hash prefix %s in store %s", prefix, s.Dir)
	case 1:
	default:
		return nil, "", fmt.Errorf("tensor hash prefix %s is ambiguous in store %s: %d candidates (%s)",
			prefix, s.Dir, len(matches), strings.Join(shortList(matches, 4), ", "))
	}
	hash := matches[0]

	s.mu.Lock()
	t, ok := s.cache[hash]
	s.mu.Unlock()
	if ok {
		return t, hash, nil
	}
	t, err = s.load(hash)
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	if s.cache == nil {
		s.cache = make(map[string]*tensor.Tensor)
	}
	if prev, ok := s.cache[hash]; ok {
		t = prev // another goroutine loaded it first; share one copy
	} else {
		s.cache[hash] = t
	}
	s.mu.Unlock()
	return t, hash, nil
}

// find lists the full hashes of stored files starting with prefix, sorted.
func (s *Store) find(prefix string) ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("tensor store: %w", err)
	}
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".npy")
		if !ok || len(name) != hashLen || !strings.HasPrefix(name, prefix) || e.IsDir() {
			continue
		}
		if strings.Trim(name, "0123456789abcdef") != "" {
			continue // not a store file
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// load reads and verifies the tensor stored under hash.
func (s *Store) load(hash string) (*tensor.Tensor, error) {
	path := filepath.Join(s.Dir, hash+".npy")
	t, err := LoadNpy(path)
	if err != nil {
		return nil, fmt.Errorf("tensor %s in store %s: %w", hash, s.Dir, err)
	}
	if got := tensor.ContentHashHex(t); got != hash {
		return nil, fmt.Errorf("tensor %s in store %s is corrupted: content hash is %s", hash, s.Dir, got)
	}
	return t, nil
}

// shortList returns at most n of the hashes, shortened to 12 digits.
func shortList(hashes []string, n int) []string {
	var out []string
	for i, h := range hashes {
		if i == n {
			out = append(out, "...")
			break
		}
		out = append(out, h[:12])
	}
	return out
}
