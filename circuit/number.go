package circuit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// strconvFormatPlain prints v with the fewest digits that round-trip, in
// plain (non-exponent) notation.
func strconvFormatPlain(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// ParseNumber reads a number as written in the text format: decimal,
// exponent form, inf/-inf/nan.
func ParseNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "inf", "+inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return v, nil
}
