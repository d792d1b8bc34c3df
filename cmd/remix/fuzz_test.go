package main

import (
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

// FuzzParseArgs: any command line parses to a config or an error, never a
// panic; an accepted one has valid choices.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"-models d",
		"-models d -format json -dtype float64 -eval naive",
		"-models d -only baseline,mean_relu,patch_skip_only_2",
		"-models d -circuit -store s",
		"-models d -plots figs -plot-format svg",
		"-plots figs -plot-format gif",
		"-models d -circuit -plots figs",
		"-models d -only ,",
		"-format",
		"-models= -only",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := parseArgs(strings.Fields(s), io.Discard)
		if err != nil {
			var ue usageError
			if !errors.As(err, &ue) && !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("%q: error %v is not a usage error", s, err)
			}
			return
		}
		if cfg.eval == nil || !slices.Contains(plotFormats, cfg.plotFormat) || (cfg.format != "text" && cfg.format != "json") {
			t.Fatalf("%q: accepted an incomplete config %+v", s, cfg)
		}
	})
}
