package ir

import (
	"strings"
	"testing"
)

var parseSeeds = []string{
	"%0 = input \"x\" : f32[2,3]\n%1 = relu %0 : f32[2,3]\noutput \"y\" %1\n",
	"%0 = input \"x\" : f32[2,3]\n%1 = const \"0a1b\" : f32[3,4]\n%2 = einsum \"ab,bc->ac\" %0 %1 : f32[2,4]\noutput \"y\" %2\n",
	"%0 = scalar 1.5 : f64[]\n%1 = einsum \"->\" : f64[]\n%2 = add %0 %1 : f64[]\noutput \"s\" %2\n",
	"%3 = input \"d\" : f32[4,5]\n%4 = const \"ff\" : i64[2]\n%5 = gather 1 %3 %4 : f32[4,2]\n%6 = slice [0,0] [2,2] %5 : f32[2,2]\n%7 = scatter [1,1] %6 : f32[3,3]\noutput \"o\" %7\n",
	"%0 = input \"x\" : f32[2,3]\n%1 = permute [1,0] %0 : f32[3,2]\n%2 = reshape %1 : f32[6]\n%3 = broadcast %2 : f32[2,6]\n%4 = concat 0 %3 %3 : f32[4,6]\n%5 = select 0 1 %4 : f32[6]\n%6 = sum [0] %5 : f32[]\noutput \"o\" %6\n",
	"%0 = input \"x\" : f32[2,3]\n%1 = softmax %0 : f32[2,3]\n%2 = reduce_max %1 : f32[2]\n%3 = last_dim_size %0 : f32[2]\n%4 = pow %2 %3 : f32[2]\n%5 = scale -2.5e-10 %4 : f32[2]\noutput \"o\" %5\n",
	"# comment only\n\n",
	"%0 = input \"x\\n\\\"\" : f32[]\noutput \"\\u00e9\" %0\n",
	"%0 = scalar NaN : f32[1]\n%1 = scalar +Inf : f32[1]\n",
	"%0 = input \"x\" : f32[2]\n%1 = relu %9 : f32[2]\n",
	"%0 = const \"abc\" : f32[99999999999,99999999999]\n",
	"%0 = input \"x : f32[",
	"output \"y\" %0",
}

// FuzzParse: Parse never panics, and whatever it accepts prints to a fixed
// point (parse . print is the identity on printed programs).
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse("fuzz.ir", []byte(src), nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.ir:") {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		_ = Verify(p)
		_ = p.DOT()
		text := p.String()
		q, err := Parse("again.ir", []byte(text), nil)
		if err != nil {
			t.Fatalf("printed program does not parse: %v\n%s", err, text)
		}
		if q.String() != text {
			t.Fatalf("print is not a fixed point:\n%s\nvs\n%s", text, q)
		}
	})
}

func TestParseSeedsRoundTrip(t *testing.T) {
	ok := 0
	for _, s := range parseSeeds {
		p, err := Parse("seed.ir", []byte(s), nil)
		if err != nil {
			continue
		}
		ok++
		if strings.HasPrefix(s, "%") && !strings.Contains(s, "+Inf") && !strings.Contains(s, `\u00e9`) && p.String() != s {
			t.Errorf("seed does not round-trip:\n%s\ngot\n%s", s, p)
		}
	}
	if ok < 7 {
		t.Errorf("only %d seeds parse", ok)
	}
}

func TestParseEinsum(t *testing.T) {
	s, err := ParseEinsum("ab,bc->ac", 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.String() != "ab,bc->ac" || s.In[1][0] != 'b' || s.Out[1] != 'c' {
		t.Errorf("parsed %v", s)
	}
	if s, err := ParseEinsum("->", 0); err != nil || len(s.In) != 0 {
		t.Errorf("zero operands: %v %v", s, err)
	}
	if s, err := ParseEinsum("->", 1); err != nil || len(s.In) != 1 || len(s.In[0]) != 0 {
		t.Errorf("one scalar operand: %v %v", s, err)
	}
	for _, bad := range []string{"ab", "a1->a", "a->ä"} {
		if _, err := ParseEinsum(bad, 1); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
