package scrub

import (
	"sync"

	"github.com/circopt/circopt/match"
)

// Matchers are immutable, so hypotheses that write the same MATCHER text get
// the same matcher value: equal values are what lets two experiments share a
// treeification (treeifycache.go), since a matcher's identity, not its
// printed form, is what the cache trusts (a Pred prints only its label).

const parsedMatchersSize = 4096

var parsedMatchers = struct {
	sync.Mutex
	m map[string]match.IterativeMatcher
}{m: map[string]match.IterativeMatcher{}}

// parseMatcherShared is match.ParseMatcher with one value per text.
func parseMatcherShared(text string) (match.IterativeMatcher, error) {
	parsedMatchers.Lock()
	m, ok := parsedMatchers.m[text]
	parsedMatchers.Unlock()
	if ok {
		return m, nil
	}
	m, err := match.ParseMatcher(text)
	if err != nil {
		return nil, err
	}
	parsedMatchers.Lock()
	defer parsedMatchers.Unlock()
	if prev, ok := parsedMatchers.m[text]; ok {
		return prev, nil
	}
	if len(parsedMatchers.m) >= parsedMatchersSize {
		clear(parsedMatchers.m)
	}
	parsedMatchers.m[text] = m
	return m, nil
}

// rootMatcher is the one RootMatcher value hypothesis files use.
var rootMatcher = RootMatcher()
