package testutil

import (
	"testing"
	"time"
)

func TestQuantileAndMedian(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	for _, c := range []struct {
		in               []time.Duration
		median, p50, p90 time.Duration
		p0, p100         time.Duration
	}{
		{nil, 0, 0, 0, 0, 0},
		{ms(7), ms(7)[0], ms(7)[0], ms(7)[0], ms(7)[0], ms(7)[0]},
		{ms(4, 1, 3, 2), 2500 * time.Microsecond, ms(2)[0], ms(4)[0], ms(1)[0], ms(4)[0]},
		{ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 5500 * time.Microsecond, ms(5)[0], ms(9)[0], ms(1)[0], ms(10)[0]},
	} {
		if got := Median(c.in); got != c.median {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.median)
		}
		for q, want := range map[float64]time.Duration{0: c.p0, 0.5: c.p50, 0.9: c.p90, 1: c.p100} {
			if got := Quantile(c.in, q); got != want {
				t.Errorf("Quantile(%v, %v) = %v, want %v", c.in, q, got, want)
			}
		}
	}
	in := []int{3, 1, 2}
	Median(in)
	Quantile(in, 0.5)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("the input was changed: %v", in)
	}
}
