package remix

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/circopt/circopt/scrub"
)

// ParenExperiment is one of day 4b's causal-scrubbing experiments as a
// hypothesis over BuildParen's loss circuit and the day's dataset columns.
type ParenExperiment struct {
	Name  string // "0a", "1b", "2b", …
	Title string
	Nodes []scrub.NodeSpec
}

// JSON is the experiment's hypothesis file.
func (e ParenExperiment) JSON() ([]byte, error) {
	type node struct {
		Name        string   `json:"name"`
		Parent      string   `json:"parent,omitempty"`
		Match       string   `json:"match,omitempty"`
		AgreeOn     []string `json:"agree_on,omitempty"`
		Exact       bool     `json:"exact,omitempty"`
		OtherInputs string   `json:"other_inputs,omitempty"`
	}
	out := struct {
		Nodes []node `json:"nodes"`
	}{}
	for _, n := range e.Nodes {
		out.Nodes = append(out.Nodes, node{n.Name, n.Parent, n.Match, n.AgreeOn, n.Exact, n.OtherInputs})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // matchers read 'a' > 'b', not \u003e
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Hypothesis is the experiment as a parsed hypothesis file.
func (e ParenExperiment) Hypothesis() *scrub.Hypothesis {
	return &scrub.Hypothesis{File: "day4b/" + e.Name + ".json", Nodes: e.Nodes}
}

// The day's matchers over BuildParen's names. A head's direct path to the
// output is the head as a child of 'final.input'.
const (
	m10  = `'final.input' > 'a1.h0'`
	m20  = `'final.input' > 'a2.h0'`
	m21  = `'final.input' > 'a2.h1'`
	mp1  = ` >> '%s.input.at_pos1'`
	mh00 = ` >> 'a0.h0.at_pos1'`
	// embeds not through 0.0: 0.0 reads its own copy, 'a0.h0.embeds'
	memb = ` >> 'embeds'`
	// the phi estimate of 0.0, not the phi inside its residual
	mphi = ` > 'a0.h0' > 'a0.h0_phi'`
	// head 2.1's own padding mask, not those inside its input
	mmask21 = m21 + ` >> ('a2.h1.attn_scores_raw' > 'padding_mask' | 'a2.h1.not_mask' >> 'padding_mask')`
)

type hypBuilder struct{ nodes []scrub.NodeSpec }

func (h *hypBuilder) node(name, parent, match string, agree ...string) {
	h.nodes = append(h.nodes, scrub.NodeSpec{Name: name, Parent: parent, Match: match, AgreeOn: agree})
}

func (h *hypBuilder) set(name string, agree ...string) {
	for i := range h.nodes {
		if h.nodes[i].Name == name {
			h.nodes[i].AgreeOn = agree
		}
	}
}

// base is the root (the loss on the reference), the label (always the
// reference's) and 'logits' with the given sampler; nil agree is exact.
func base(random bool) *hypBuilder {
	h := &hypBuilder{}
	h.nodes = append(h.nodes,
		scrub.NodeSpec{Name: "loss"},
		scrub.NodeSpec{Name: "label", Parent: "loss", Match: `'is_balanced'`, Exact: true},
		scrub.NodeSpec{Name: "logits", Parent: "loss", Match: `'logits'`, Exact: !random})
	return h
}

// ex1: 1.0 and 2.0 agree on cond, 2.1 on the horizon test.
func ex1(cond string) *hypBuilder {
	h := base(false)
	h.node("10", "logits", m10, cond)
	h.node("20", "logits", m20, cond)
	h.node("21", "logits", m21, "horizon_test")
	return h
}

// ex2 is 1b, with 1.0 and 2.0 reading only position 1; with deps, that
// input depends only on 0.0 at position 1 (agreeing on p_1 if it starts
// open) and on the embeddings (agreeing on starting open); with phi, 0.0
// there is replaced by phi(p).
func ex2(deps, phi bool) *hypBuilder {
	h := ex1("count_open")
	for _, l := range []string{"1", "2"} {
		m := fmt.Sprintf(`'final.input' > 'a%s.h0'`+mp1, l, "a"+l)
		p1 := l + "0_p1"
		h.node(p1, l+"0", m, "count_open")
		if !deps {
			continue
		}
		h.node(p1+"_00", p1, m+mh00, "p1_open")
		h.node(p1+"_emb", p1, m+memb, "starts_with_open")
		if phi {
			h.node(p1+"_00_phi", p1+"_00", m+mh00+mphi, "p1_open")
		}
	}
	return h
}

// ex3 makes 2.1 agree on every position's horizon_i (adjusted or not) and
// its padding mask on the input length.
func ex3(h *hypBuilder, adjusted bool) *hypBuilder {
	col := "horizon"
	if adjusted {
		col = "horizon_adj"
	}
	h.set("21", col+"_all")
	for i := 0; i < ParenSeq; i++ {
		h.node(fmt.Sprintf("21_p%d", i), "21", fmt.Sprintf(m21+` >> 'a2.input.at_pos%d'`, i), fmt.Sprintf("%s_p%d", col, i))
	}
	h.node("pos_mask", "21", mmask21, "input_lengths")
	return h
}

// ParenExperiments are day 4b's experiments 0 to 4, in the day's order.
func ParenExperiments() []ParenExperiment {
	out := []ParenExperiment{
		{"0a", "baseline: the model as it is", base(false).nodes},
		{"0b", "baseline: logits of a random input", base(true).nodes},
		{"1a", "direct paths: 1.0, 2.0 count test; 2.1 horizon test", ex1("count_test").nodes},
		{"1b", "direct paths: 1.0, 2.0 count test and starts open", ex1("count_open").nodes},
		{"2p1", "1b; 1.0, 2.0 read position 1 only", ex2(false, false).nodes},
		{"2a", "2p1; position 1 from 0.0 (p_1) and the embeddings", ex2(true, false).nodes},
		{"2b", "2a; 0.0 at position 1 as phi(p)", ex2(true, true).nodes},
		{"3a", "1b; 2.1 per position horizon_i and input length", ex3(ex1("count_open"), false).nodes},
		{"3b", "3a with the attention-adjusted open proportion", ex3(ex1("count_open"), true).nodes},
		{"4", "2b and 3b together", ex3(ex2(true, true), true).nodes},
	}
	return out
}
