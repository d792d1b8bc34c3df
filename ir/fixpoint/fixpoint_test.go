package fixpoint

import "testing"

func TestWords(t *testing.T) {
	for s, want := range map[Stop]string{
		FixedPoint:   "fixed point after 2 sweeps",
		LimitReached: "limit reached after 2 sweeps",
		CycleFound:   "cycle found after 2 sweeps",
		0:            "no loop after 2 sweeps",
		Stop(9):      "Stop(9) after 2 sweeps",
	} {
		if got := s.After(2, "sweep"); got != want {
			t.Errorf("%d: %q, want %q", int(s), got, want)
		}
	}
	if got := FixedPoint.After(1, "pass"); got != "fixed point after 1 pass" {
		t.Errorf("singular: %q", got)
	}
	if got := CycleFound.After(3, "pass"); got != "cycle found after 3 passes" {
		t.Errorf("plural: %q", got)
	}
}
