package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/circopt/circopt/remix"
)

// The chart is well-formed XML with one bar per row, each bar's height
// proportional to its accuracy.
func TestWriteSVG(t *testing.T) {
	rows := []remix.Row{
		{Experiment: "baseline", Model: "A", TestAcc: 0.98},
		{Experiment: "baseline", Model: "B", TestAcc: 0.97},
		{Experiment: "mean_relu", Model: "A", TestAcc: 0.388},
		{Experiment: "mean_relu", Model: "B", TestAcc: 0.8677},
	}
	var b bytes.Buffer
	if err := writeSVG(&b, rows); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	var heights []float64
	var titles []string
	inTitle := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			inTitle = el.Name.Local == "title"
			if el.Name.Local != "rect" {
				continue
			}
			for _, a := range el.Attr {
				if a.Name.Local == "height" && !strings.HasSuffix(a.Value, "%") {
					h, err := strconv.ParseFloat(a.Value, 64)
					if err != nil {
						t.Fatal(err)
					}
					if h != 12 { // legend swatches are 12 high
						heights = append(heights, h)
					}
				}
			}
		case xml.CharData:
			if inTitle {
				titles = append(titles, string(el))
			}
		case xml.EndElement:
			inTitle = false
		}
	}
	if len(heights) != len(rows) {
		t.Fatalf("%d bars, want %d", len(heights), len(rows))
	}
	for i, r := range rows {
		if math.Abs(heights[i]/heights[0]-r.TestAcc/rows[0].TestAcc) > 1e-3 {
			t.Errorf("bar %d height %v not proportional to %v", i, heights[i], r.TestAcc)
		}
	}
	if titles[2] != "mean_relu A: 0.3880" {
		t.Errorf("bar title %q", titles[2])
	}
	if err := writeSVG(io.Discard, nil); err == nil {
		t.Error("an empty chart was drawn")
	}
	if err := writePlotFile(filepath.Join(t.TempDir(), "no", "dir.svg"), rows); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	p := filepath.Join(t.TempDir(), "acc.svg")
	if err := writePlotFile(p, rows); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Size() == 0 {
		t.Errorf("plot file: %v", err)
	}
}
