//go:build !race

package circopt_test

const raceEnabled = false
