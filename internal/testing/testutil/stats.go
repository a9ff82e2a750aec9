package testutil

import "slices"

// Number is what Median and Quantile take: counts, sizes, durations.
type Number interface {
	~int | ~int64 | ~uint64 | ~float64
}

// Quantile returns the q-quantile of xs by the nearest-rank method (xs
// need not be sorted; it is not changed), zero for none.
func Quantile[T Number](xs []T, q float64) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Median returns the middle value of xs, or the mean of the middle two
// when there is an even number of them; zero for none.
func Median[T Number](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
