package collectors

import (
	"testing"
	"time"
)

// TestFlightDoPanics: a panic in a call run by do reaches the caller that
// ran it, and the call is forgotten all the same: the next do runs anew.
func TestFlightDoPanics(t *testing.T) {
	f := flight[int]{fn: func(time.Time) int { panic("gatherer broke") }}
	func() {
		defer func() {
			if p := recover(); p != "gatherer broke" {
				t.Errorf("recovered %v", p)
			}
		}()
		f.do()
	}()
	f.fn = func(time.Time) int { return 7 }
	if v := f.do(); v != 7 {
		t.Errorf("do after a panic = %d, want a new call's 7", v)
	}
}
