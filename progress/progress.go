package progress

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Reporter is told the steps of a long run. Start begins a stage of total
// steps (described in a few words), Add marks n more done, Finish ends the
// stage (clearing the bar). Stages run one after another.
type Reporter interface {
	Start(total int, description string)
	Add(n int)
	Finish()
}

// Nop reports nothing.
var Nop Reporter = nop{}

type nop struct{}

func (nop) Start(int, string) {}
func (nop) Add(int)           {}
func (nop) Finish()           {}

// Terminal returns a bar on f when f is a terminal and quiet is false, and
// Nop otherwise.
func Terminal(f *os.File, quiet bool) Reporter {
	if quiet || f == nil || !term.IsTerminal(int(f.Fd())) {
		return Nop
	}
	return NewBar(f)
}

// Terminaler is a writer that says whether it is a terminal (a test's
// fake terminal, or a wrapper around one).
type Terminaler interface {
	io.Writer
	IsTerminal() bool
}

// Auto is Terminal for any writer: a bar when w is a terminal *os.File or
// a Terminaler that says it is one, and quiet is false; Nop otherwise.
func Auto(w io.Writer, quiet bool) Reporter {
	if quiet || w == nil {
		return Nop
	}
	switch t := w.(type) {
	case *os.File:
		return Terminal(t, false)
	case Terminaler:
		if t.IsTerminal() {
			return NewBar(t)
		}
	}
	return Nop
}

// NewBar returns a Reporter drawing a progress bar (description, count,
// percentage, elapsed time and ETA) on w whatever w is.
func NewBar(w io.Writer) Reporter { return &bar{w: w} }

type bar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *bar) Start(total int, description string) {
	b.Finish()
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(0),
		progressbar.OptionClearOnFinish(),
	)
	_ = b.bar.RenderBlank()
}

func (b *bar) Add(n int) {
	if b.bar != nil {
		_ = b.bar.Add(n)
	}
}

func (b *bar) Finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		b.bar = nil
	}
}
