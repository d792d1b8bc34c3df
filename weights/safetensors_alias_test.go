package weights

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// A loaded file's float32 tensors read the file's bytes in place where
// they are aligned and decode a copy where they are not; both give the
// values DecodeSafetensors copies, and no window reaches a neighbour.
func TestLoadSafetensorsInPlace(t *testing.T) {
	// "a" starts at data byte 0 (aligned), "odd" at byte 6 (not), "c" at 14
	for _, hdrPad := range []string{"", " ", "  ", "   "} { // every header length mod 4
		hdr := `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},` +
			`"h":{"dtype":"F16","shape":[1],"data_offsets":[4,6]},` +
			`"odd":{"dtype":"F32","shape":[2],"data_offsets":[6,14]},` +
			`"c":{"dtype":"F32","shape":[2],"data_offsets":[14,22]}}` + hdrPad
		file := makeSafetensors(hdr, le(float32(7), uint16(0x3c00), []float32{-1, 2.5}, []float32{3, 4}))
		p := filepath.Join(t.TempDir(), "m.safetensors")
		if err := os.WriteFile(p, file, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadSafetensors(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := DecodeSafetensors(file)
		if err != nil {
			t.Fatal(err)
		}
		for k, w := range want {
			if abs, _, _ := tensor.Compare(got[k], w); abs != 0 || !slices.Equal(got[k].Shape(), w.Shape()) {
				t.Errorf("pad %d: %s = %v, want %v", len(hdrPad), k, got[k].Float64s(), w.Float64s())
			}
		}
		for k, v := range got {
			if d := v.Float32Data(); d != nil && cap(d) != len(d) {
				t.Errorf("pad %d: %s has capacity %d beyond its %d elements", len(hdrPad), k, cap(d), len(d))
			}
		}
	}
}
