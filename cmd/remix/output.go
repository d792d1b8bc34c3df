package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/circopt/circopt/remix"
)

// writeJSON prints {"rows":[{"experiment","model","test_loss","test_acc"}]}.
func writeJSON(w io.Writer, rows []remix.Row) error {
	if rows == nil {
		rows = []remix.Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Rows []remix.Row `json:"rows"`
	}{rows})
}

// writeTable prints an aligned table, as the notebook's show_results().
func writeTable(w io.Writer, rows []remix.Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "experiment\tmodel\ttest_loss\ttest_acc")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\n", r.Experiment, r.Model, r.TestLoss, r.TestAcc)
	}
	return tw.Flush()
}
