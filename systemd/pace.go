package systemd

import (
	"sync"
	"time"
)

// systemd's manager throttles itself when its event loop turns more than
// 50,000 times in a second: it logs "Looping too fast. Throttling
// execution a little." and sleeps a whole second (manager_loop's rate
// limit), holding every unit, job and client meanwhile. Every message it
// reads is a turn of that loop. A full sync of 5,000 units is about 42,000
// property reads, which the manager answers at about 120,000 a second: two
// such syncs within a second (an agent's and a `bootinfo show`'s, or two
// shows), or one beside any other busy client, put PID 1 to sleep. In the
// lab, back-to-back shows at 5,000 units did, and each took a second
// longer for it.
//
// So a watcher sends at most DefaultCallRate calls in any second: half the
// manager's budget, so that two bootinfo processes at once stay within it
// with room for everything else. Below about 2,500 units a sync is never
// held back.

// DefaultCallRate is Options.CallRate's default.
const DefaultCallRate = 25000

// paceSlot is the pacer's resolution: calls are counted per slot, and a
// slot's calls count against the budget for a second and a slot after it
// began, so no second ever holds more than the budget.
const (
	paceSlot   = 10 * time.Millisecond
	paceWindow = int64(time.Second/paceSlot) + 1 // slots a call is counted in
	paceRing   = 128                             // ≥ paceWindow
)

// pacer holds the calls sent in any second to its budget. It is shared by
// a watcher's sessions, so that reconnecting does not renew the budget.
type pacer struct {
	mu     sync.Mutex
	budget int
	base   time.Time // slot 0 begins; slots are of the monotonic clock
	counts [paceRing]int
	head   int64 // the newest slot counted in
	total  int   // calls in the slots (head-paceWindow, head]
	pauses uint64
	held   bool // the last due said to wait
}

func newPacer(budget int, now time.Time) *pacer { return &pacer{budget: budget, base: now} }

// due returns 0 when one more call may be sent at now, or how long to
// wait before asking again when the budget of the last second is spent.
// It counts nothing: the connection counts each call it writes (count).
func (p *pacer) due(now time.Time) time.Duration {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.slot(now)
	if p.total < p.budget {
		p.held = false
		return 0
	}
	if !p.held {
		p.pauses++
		p.held = true
	}
	// The oldest slot with calls in it leaves the window first (this very
	// slot when the budget is under a slot's calls).
	o := max(s-paceWindow+1, 0)
	for ; o < s && p.counts[o%paceRing] == 0; o++ {
	}
	return p.base.Add(time.Duration(o+paceWindow) * paceSlot).Sub(now)
}

// count counts one call sent at now, whatever the budget: every raw call
// the connection writes, so that no caller escapes the budget, though
// the few reads of the manager's own properties, made under a call's
// deadline that a wait (up to a second) could outlast, do not wait for
// it.
func (p *pacer) count(now time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.slot(now)
	p.counts[s%paceRing]++
	p.total++
}

// slot returns now's slot, with the window moved to end at it. Called
// with mu held.
func (p *pacer) slot(now time.Time) int64 {
	s := max(int64(now.Sub(p.base)/paceSlot), p.head)
	p.advance(s)
	return s
}

// advance moves the window to end at slot s, forgetting the slots that
// left it.
func (p *pacer) advance(s int64) {
	if s <= p.head {
		return
	}
	if s-p.head >= paceWindow {
		p.counts, p.total = [paceRing]int{}, 0
	} else {
		for h := p.head + 1; h <= s; h++ {
			gone := h - paceWindow
			if gone >= 0 {
				p.total -= p.counts[gone%paceRing]
				p.counts[gone%paceRing] = 0
			}
		}
	}
	p.head = s
}

// paused returns how many times the calls had to wait for the budget.
func (p *pacer) paused() uint64 {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pauses
}
