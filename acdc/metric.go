package acdc

import (
	"fmt"
	"math"
)

// Metric names how far a circuit's last-position logits are from the full
// model's: ACDC removes an edge when this damage grows by less than the
// threshold.
type Metric string

const (
	// KL is KL(full ‖ circuit) of the next-token distributions.
	KL Metric = "kl"
	// LogitDiff is |ld(full) − ld(circuit)| with ld = logit[correct] − logit[wrong].
	LogitDiff Metric = "logit-diff"
)

// ParseMetric checks a metric name.
func ParseMetric(s string) (Metric, error) {
	switch m := Metric(s); m {
	case KL, LogitDiff:
		return m, nil
	}
	return "", fmt.Errorf("unknown metric %q (want kl or logit-diff)", s)
}

// logSoftmax in float64.
func logSoftmax(x []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	lse := mx + math.Log(s)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - lse
	}
	return out
}

// scorer measures circuits against the full model's logits.
type scorer struct {
	metric         Metric
	correct, wrong int
	full           []float64 // the full model's logits
	fullP          []float64 // its next-token probabilities (KL only)
	negEntropy     float64   // Σ p·log p of those (KL only)
}

func newScorer(m Metric, correct, wrong int, full []float64) *scorer {
	s := &scorer{metric: m, correct: correct, wrong: wrong, full: full}
	if m == KL {
		lp := logSoftmax(full)
		s.fullP = make([]float64, len(lp))
		for i, v := range lp {
			s.fullP[i] = math.Exp(v)
			if s.fullP[i] > 0 {
				s.negEntropy += s.fullP[i] * v
			}
		}
	}
	return s
}

// value is the metric itself on logits: 0 for KL of the full model,
// the logit difference for LogitDiff.
func (s *scorer) value(logits []float64) float64 {
	if s.metric == KL {
		// KL(p ‖ softmax(x)) = Σ p·log p − Σ p·x + logsumexp(x): one exp per logit.
		mx := math.Inf(-1)
		for _, v := range logits {
			mx = max(mx, v)
		}
		var z, px float64
		for i, v := range logits {
			z += math.Exp(v - mx)
			px += s.fullP[i] * v
		}
		return max(s.negEntropy-px+mx+math.Log(z), 0)
	}
	return logits[s.correct] - logits[s.wrong]
}

// damage is how far logits are from the full model's (≥ 0).
func (s *scorer) damage(logits []float64) float64 {
	if s.metric == KL {
		return s.value(logits)
	}
	return math.Abs(s.value(logits) - s.value(s.full))
}
