package lower

import (
	"crypto/sha256"
	"fmt"
)

// uuidNamespace keeps SymbolUUID's hashes apart from other uses of SHA-256
// over the same names.
const uuidNamespace = "circopt/lower input\x00"

// SymbolUUID is the uuid Raise gives the Symbol of the program input name:
// the first 16 bytes of SHA-256(namespace || name) with the version nibble
// set to 8 and the RFC 9562 variant bits, that is a name-based "custom"
// (version 8) UUID. Raising the same program twice therefore gives equal
// circuits, and equal input names give equal symbols.
func SymbolUUID(name string) string {
	sum := sha256.Sum256([]byte(uuidNamespace + name))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
