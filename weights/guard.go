package weights

import "fmt"

// recoverAsError turns a panic inside a third-party decoder into an error
// on *err, so hostile input cannot crash the process. Use it deferred at
// each public entry point: defer recoverAsError(what, &err).
func recoverAsError(what string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: malformed input (decoder panicked: %v)", what, r)
	}
}
