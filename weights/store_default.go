package weights

import (
	"fmt"
	"os"
	"path/filepath"
)

// StoreEnv names the environment variable that overrides DefaultStoreDir.
const StoreEnv = "CIRCOPT_TENSORS"

// DefaultStoreDir is the local tensor store used when no store is named:
// $CIRCOPT_TENSORS when set, else circopt/tensors under the user's cache
// directory (os.UserCacheDir). The directory need not exist yet.
func DefaultStoreDir() (string, error) {
	if d := os.Getenv(StoreEnv); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("default tensor store: %w (set %s)", err, StoreEnv)
	}
	return filepath.Join(c, "circopt", "tensors"), nil
}

// OpenOrCreateStore opens the store in dir, creating the directory (and its
// parents) first when it does not exist.
func OpenOrCreateStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tensor store: %w", err)
	}
	return OpenStore(dir)
}
