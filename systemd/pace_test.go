package systemd

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// send is one call as the watcher makes it: asked due, and counted when
// written; it returns due's wait, and counts nothing when there is one.
func send(p *pacer, now time.Time) time.Duration {
	if d := p.due(now); d > 0 {
		return d
	}
	p.count(now)
	return 0
}

func TestPacerHoldsASecondToItsBudget(t *testing.T) {
	base := time.Now()
	p := newPacer(100, base)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	for i := range 100 {
		if d := send(p, at(time.Duration(i)*time.Millisecond)); d != 0 {
			t.Fatalf("call %d of a budget of 100 held for %v", i+1, d)
		}
	}
	// All 100 were counted in the first second's slots; the oldest (slot
	// 0) counts until a second and a slot after it began.
	d := send(p, at(150*time.Millisecond))
	if want := time.Second + paceSlot - 150*time.Millisecond; d != want {
		t.Errorf("the 101st call waits %v, want %v", d, want)
	}
	if d := send(p, at(time.Second+paceSlot-time.Nanosecond)); d <= 0 {
		t.Error("a call allowed before the oldest slot left the window")
	}
	if p.paused() != 1 {
		t.Errorf("two refusals in a row counted as %d pauses, want 1", p.paused())
	}
	// Slot 0 held 10 calls (0–9 ms); once it leaves, exactly 10 more go.
	now := at(time.Second + paceSlot)
	for i := range 10 {
		if d := send(p, now); d != 0 {
			t.Fatalf("call %d after the first slot left held for %v", i+1, d)
		}
	}
	if d := send(p, now); d != paceSlot {
		t.Errorf("the 11th call waits %v, want the next slot's %v", d, paceSlot)
	}
	if p.paused() != 2 {
		t.Errorf("pauses %d, want 2", p.paused())
	}
	var none *pacer
	if send(none, now) != 0 || none.paused() != 0 {
		t.Error("a nil pacer holds calls")
	}
	// Calls counted whatever the budget (the manager's counters) hold
	// back the next that asks.
	p = newPacer(2, base)
	p.count(base)
	p.count(base)
	p.count(base)
	if d := p.due(base.Add(500 * time.Millisecond)); d != time.Second+paceSlot-500*time.Millisecond {
		t.Errorf("after three calls counted on a budget of two, the next waits %v", d)
	}
}

// TestPacerNeverExceedsItsBudget sends calls as fast as a pacer lets them
// go, at random moments over seconds, and checks every second that begins
// at a call: none holds more than the budget, and the budget is used (the
// pacer does not hold calls it could send).
func TestPacerNeverExceedsItsBudget(t *testing.T) {
	for _, budget := range []int{1, 7, 250, 5000} {
		base := time.Now()
		p := newPacer(budget, base)
		rng := rand.New(rand.NewPCG(uint64(budget), 1))
		var sent []time.Duration
		var now time.Duration
		for now < 5*time.Second {
			if d := send(p, base.Add(now)); d > 0 {
				now += d
				continue
			}
			sent = append(sent, now)
			// Bursts (of a quarter of the budget on average) at once, and
			// gaps of up to a fifth of a second: more than the budget.
			if rng.IntN(max(budget/4, 1)) == 0 {
				now += time.Duration(rng.Int64N(int64(200 * time.Millisecond)))
			}
		}
		sort.Slice(sent, func(i, j int) bool { return sent[i] < sent[j] })
		j := 0
		for i, s := range sent {
			for j < len(sent) && sent[j] < s+time.Second {
				j++
			}
			if n := j - i; n > budget {
				t.Fatalf("budget %d: %d calls in the second from %v", budget, n, s)
			}
		}
		// Four whole seconds at least (the windows are a slot longer
		// than a second).
		if len(sent) < 4*budget {
			t.Errorf("budget %d: %d calls in 5 s of demand", budget, len(sent))
		}
	}
}
