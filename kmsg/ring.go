package kmsg

import "sync"

// Ring keeps the last N records for queries. It is safe for concurrent use.
type Ring struct {
	mu   sync.Mutex
	recs []Record
	next int // index the next record goes to
	full bool
}

// NewRing returns a ring holding at most n records (at least one).
func NewRing(n int) *Ring {
	return &Ring{recs: make([]Record, max(n, 1))}
}

// Add stores r, dropping the oldest record when the ring is full.
func (g *Ring) Add(r Record) {
	g.mu.Lock()
	g.recs[g.next] = r
	g.next++
	if g.next == len(g.recs) {
		g.next, g.full = 0, true
	}
	g.mu.Unlock()
}

// Len returns the number of records held.
func (g *Ring) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.full {
		return len(g.recs)
	}
	return g.next
}

// Query selects records from a Ring. The zero Query selects all.
type Query struct {
	// MaxLevel, when not nil, keeps records at least this severe (level
	// number at most *MaxLevel: MaxLevel=warning keeps emerg..warning).
	MaxLevel *Level
	// SinceSeq keeps records whose sequence number is at least SinceSeq.
	SinceSeq uint64
	// KernelOnly keeps only facility-kern records.
	KernelOnly bool
	// Limit, when above 0, keeps only the newest Limit matching records.
	Limit int
}

func (q Query) match(r Record) bool {
	return (q.MaxLevel == nil || r.Level <= *q.MaxLevel) &&
		r.Seq >= q.SinceSeq &&
		(!q.KernelOnly || r.Facility == FacilityKern)
}

// Query returns copies of the matching records, oldest first.
func (g *Ring) Query(q Query) []Record {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.next
	if g.full {
		n = len(g.recs)
	}
	// Walk newest to oldest so Limit keeps the newest, then reverse.
	var out []Record
	for i := 0; i < n; i++ {
		idx := (g.next - 1 - i + len(g.recs)) % len(g.recs)
		if r := g.recs[idx]; q.match(r) {
			out = append(out, r)
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
