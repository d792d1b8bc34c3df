package weights

import (
	"fmt"
	"strings"
)

// maxPanicText keeps a recovered panic to one readable line.
const maxPanicText = 200

// recoverAsError turns a panic inside a third-party decoder into an error
// on *err, so hostile input cannot crash the process. Use it deferred at
// each public entry point: defer recoverAsError(what, &err).
func recoverAsError(what string, err *error) {
	if r := recover(); r != nil {
		msg := fmt.Sprint(r)
		if len(msg) > maxPanicText {
			msg = msg[:maxPanicText] + "..."
		}
		*err = fmt.Errorf("%s: malformed input (decoder panicked: %s)", what, strings.ReplaceAll(msg, "\n", " "))
	}
}
