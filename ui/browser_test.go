package ui

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/circopt/circopt/circuit"
)

// chromium finds Debian's chromium; tests that need it skip without it.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium or chromium-browser on PATH (apt-get install -y chromium): browser test skipped")
	return ""
}

// TestBrowser starts one headless chromium (starting it is the slow part)
// and drives the page in a tab per subtest.
func TestBrowser(t *testing.T) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1400, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx); err != nil { // start the browser
		t.Fatalf("start %s: %v", chromium(t), err)
	}
	t.Run("TreeMatchHeatmap", func(t *testing.T) { testTreeMatchHeatmap(t, bctx) })
	t.Run("ImageGrid", func(t *testing.T) { testImageGrid(t, bctx) })
	t.Run("VirtualTree", func(t *testing.T) { testVirtualTree(t, bctx) })
	t.Run("Link", func(t *testing.T) { testLink(t, bctx) })
	t.Run("DeepTree", func(t *testing.T) { testDeepTree(t, bctx) })
}

// browser opens a tab of the browser parent on url and collects console errors,
// uncaught exceptions and error log entries (failed loads) for the
// returned func's answer.
func browser(t *testing.T, parent context.Context, url string) (context.Context, func() []string) {
	t.Helper()
	ctx, cancelC := chromedp.NewContext(parent) // a new tab
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancelC() })
	var mu sync.Mutex
	var errs []string
	note := func(s string) { mu.Lock(); errs = append(errs, s); mu.Unlock() }
	// Subscribe before navigating, so no event is lost.
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	logs := chromedp.Events(ctx, cdplog.EntryAdded)
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				note("console.error: " + strings.Join(parts, " "))
			}
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			note(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, desc))
		}
	}()
	go func() {
		for ev, err := range logs {
			if err != nil {
				return
			}
			if ev.Entry.Level == cdplog.EntryLevelError {
				note("log: " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		}
	}()
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`))); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func count(ctx context.Context, t *testing.T, sel string) int {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

// inkPixels counts the pixels of a PNG screenshot that are not near white.
func inkPixels(t *testing.T, shot []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				n++
			}
		}
	}
	return n
}

func testTreeMatchHeatmap(t *testing.T, bctx context.Context) {
	srv := httptest.NewServer(mlpHandler(t))
	defer srv.Close()
	ctx, errs := browser(t, bctx, srv.URL)

	// The roots start expanded: logits and its two children.
	if n := count(ctx, t, "#tree .row"); n != 3 {
		t.Fatalf("%d rows at start, want 3", n)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("collapseall")))
	if n := count(ctx, t, "#tree .row"); n != 1 {
		t.Fatalf("%d rows collapsed, want 1", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`.row[data-id="0"] .tog`)))
	if n := count(ctx, t, "#tree .row"); n != 3 {
		t.Fatalf("%d rows after expanding the root, want 3", n)
	}

	// A matcher finds w1 four levels down and opens the path to it.
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("matcher"), "'l1' >> 'w1'"),
		chromedp.Click(chromedp.ID("matchbtn")),
		chromedp.WaitVisible(chromedp.CSS(".row.found")),
	)
	found := run(t, ctx, chromedp.AttributeValue(chromedp.CSS(".row.found"), "data-id")).Value
	if nf, np := count(ctx, t, ".row.found"), count(ctx, t, ".row.onpath"); found != "6" || nf != 1 || np != 5 {
		t.Fatalf("found node %s, %d found rows, %d on the path; want node 6, 1, 5", found, nf, np)
	}

	// Clicking it evaluates w1 [4,3] and draws a heatmap.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(".row.found")),
		chromedp.WaitVisible(chromedp.CSS("#chart-a canvas")),
		chromedp.Sleep(300*time.Millisecond),
	)
	shot := run(t, ctx, chromedp.Screenshot(chromedp.ID("chart-a")))
	if ink := inkPixels(t, shot); ink < 2000 {
		t.Fatalf("heatmap screenshot has %d non-white pixels: nothing drawn", ink)
	}

	// Comparing with the patched variant draws its panel and the difference.
	run(t, ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById("compare"); s.value = "1"; s.dispatchEvent(new Event("change")); return true; })()`))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#chart-d canvas")))
	if title := run(t, ctx, chromedp.Text(chromedp.ID("title-d"))); !strings.Contains(title, "base − patched") {
		t.Fatalf("difference panel titled %q", title)
	}
	if path := os.Getenv("CIRCOPT_UI_SCREENSHOT"); path != "" {
		// the README's picture: CIRCOPT_UI_SCREENSHOT=docs/ui.png go test ./ui -run Browser
		do(t, ctx, chromedp.Click(chromedp.CSS(`.row[data-id="3"]`)), chromedp.Sleep(500*time.Millisecond))
		page := run(t, ctx, chromedp.FullScreenshot(90))
		if err := os.WriteFile(path, page, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if e := errs(); len(e) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(e, "\n"))
	}
}

func testImageGrid(t *testing.T, bctx context.Context) {
	srv := httptest.NewServer(mlpHandler(t))
	defer srv.Close()
	ctx, errs := browser(t, bctx, srv.URL)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.tensor[data-name="images"]`)),
		chromedp.WaitVisible(chromedp.CSS("#chart-a .grid canvas")),
	)
	if n := count(ctx, t, "#chart-a .grid canvas"); n != 3 {
		t.Fatalf("%d images, want 3 (one per example)", n)
	}
	if ink := inkPixels(t, run(t, ctx, chromedp.Screenshot(chromedp.ID("chart-a")))); ink < 1000 {
		t.Fatalf("image grid has %d non-white pixels", ink)
	}
	// Hovering a pixel of the second image names it and gives its value.
	xy := run(t, ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelectorAll("#chart-a .grid canvas")[1].getBoundingClientRect(); return [r.left + 10, r.top + 10]; })()`))
	do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1]))
	if hover := run(t, ctx, chromedp.Text(chromedp.ID("hover"))); !strings.Contains(hover, "example=1") || !strings.Contains(hover, "value") {
		t.Fatalf("hover text %q", hover)
	}
	if e := errs(); len(e) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(e, "\n"))
	}
}

// wide builds a circuit of 1 + fan + fan·leaves distinct nodes.
func wide(t testing.TB, fan, leaves int) circuit.Circuit {
	t.Helper()
	kids := make([]circuit.Circuit, fan)
	for i := range kids {
		ls := make([]circuit.Circuit, leaves)
		for j := range ls {
			s, err := circuit.NewScalar(float64(i*leaves+j), []int{2}, fmt.Sprintf("s%d_%d", i, j))
			if err != nil {
				t.Fatal(err)
			}
			ls[j] = s
		}
		a, err := circuit.NewAdd(fmt.Sprintf("a%d", i), ls...)
		if err != nil {
			t.Fatal(err)
		}
		kids[i] = a
	}
	root, err := circuit.NewAdd("root", kids...)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// expandAll serves root, opens the page, clicks "expand all" and checks
// the tree's count line says want.
func expandAll(t *testing.T, bctx context.Context, root circuit.Circuit, want string) (context.Context, func() []string) {
	t.Helper()
	h, err := NewHandler(Options{Variants: []Variant{{Name: "tree", Roots: []circuit.Circuit{root}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ctx, errs := browser(t, bctx, srv.URL)
	do(t, ctx, chromedp.Click(chromedp.ID("expandall")))
	if text := run(t, ctx, chromedp.Text(chromedp.ID("treecount"))); !strings.Contains(text, want) {
		t.Fatalf("tree count %q, want %q", text, want)
	}
	return ctx, errs
}

// A 10,000-node circuit: expanding everything keeps only the rows in view
// in the DOM, and scrolling brings the last ones in.
func testVirtualTree(t *testing.T, bctx context.Context) {
	ctx, errs := expandAll(t, bctx, wide(t, 100, 99), "10001 nodes, 10001 rows")
	if n := count(ctx, t, "#tree .row"); n > 200 {
		t.Fatalf("%d rows in the DOM for 10001 shown: not virtualised", n)
	}
	run(t, ctx, chromedp.Evaluate[bool](`(() => { const t = document.getElementById("tree"); t.scrollTop = t.scrollHeight; t.dispatchEvent(new Event("scroll")); return true; })()`))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`.row[data-id="10000"]`)))
	if e := errs(); len(e) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(e, "\n"))
	}
}

// A link's hash opens a variant, runs a matcher and shows a node.
func testLink(t *testing.T, bctx context.Context) {
	srv := httptest.NewServer(mlpHandler(t))
	defer srv.Close()
	ctx, errs := browser(t, bctx, srv.URL+"/#v=1&m="+urlEscape("'b1'")+"&id=7")
	if title := run(t, ctx, chromedp.Text(chromedp.ID("title"))); !strings.Contains(title, "patched: b1 Scalar [4]") {
		t.Fatalf("title %q", title)
	}
	if found := run(t, ctx, chromedp.AttributeValue(chromedp.CSS(".row.found.selected"), "data-id")).Value; found != "7" {
		t.Fatalf("found and selected row is node %q, want 7", found)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#chart-a canvas")))
	if e := errs(); len(e) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(e, "\n"))
	}
}

// A chain 20,000 levels deep expands fully: the page neither recurses
// nor builds keys as long as the path.
func testDeepTree(t *testing.T, bctx context.Context) {
	var c circuit.Circuit
	c, err := circuit.NewScalar(1, []int{2}, "leaf")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 19999 {
		if c, err = circuit.NewAdd(fmt.Sprintf("add%d", i), c); err != nil {
			t.Fatal(err)
		}
	}
	_, errs := expandAll(t, bctx, c, "20000 nodes, 20000 rows")
	if e := errs(); len(e) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(e, "\n"))
	}
}
