package collectors

import "testing"

// TestFlightDoPanics: a panic in a call run by do reaches the caller that
// ran it, and the call is forgotten all the same: the next do runs anew.
func TestFlightDoPanics(t *testing.T) {
	var f flight[int]
	func() {
		defer func() {
			if p := recover(); p != "gatherer broke" {
				t.Errorf("recovered %v", p)
			}
		}()
		f.do(func() int { panic("gatherer broke") })
	}()
	if v := f.do(func() int { return 7 }); v != 7 {
		t.Errorf("do after a panic = %d, want a new call's 7", v)
	}
}
