//go:build !unix

package main

// addressSpaceLimit is unknown off unix.
func addressSpaceLimit() int64 { return 0 }

// dataLimit is unknown off unix.
func dataLimit() int64 { return 0 }
