package collectors

import (
	"compress/flate"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// flight shares one call of a function among the callers that arrive
// while it is in flight, and is then forgotten: the next caller starts
// another. It is behind SharedGatherer, whose call (gathering the agent's
// own metrics) cannot block on a host source; the Set's runners, whose
// calls can, share theirs only until the deadline (see runner).
type flight[T any] struct {
	// fn is the function called, told when the call started; it is set
	// once, before the first call.
	fn func(start time.Time) T

	mu  sync.Mutex
	cur *flightCall[T]
}

// flightCall is one call: val is set before done is closed.
type flightCall[T any] struct {
	done  chan struct{}
	start time.Time
	val   T
}

// begin returns the call in flight, or a new one that the caller must run
// and end.
func (f *flight[T]) begin() (c *flightCall[T], started bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		return f.cur, false
	}
	f.cur = &flightCall[T]{done: make(chan struct{}), start: time.Now()}
	return f.cur, true
}

// end forgets c and releases its waiters.
func (f *flight[T]) end(c *flightCall[T]) {
	f.mu.Lock()
	f.cur = nil
	f.mu.Unlock()
	close(c.done)
}

// do makes the call in the caller's goroutine when none is in flight, and
// otherwise waits for the one that is and returns its value. A panic in
// the call goes to the caller that made it; the waiters get the zero
// value.
func (f *flight[T]) do() T {
	c, started := f.begin()
	if !started {
		<-c.done
		return c.val
	}
	defer f.end(c)
	c.val = f.fn(c.start)
	return c.val
}

// SharedGatherer gathers a registry's metrics and encodes them as one
// Block for concurrent scrapes at once: a scrape that arrives while a
// gathering is in flight waits for it and shares its block, as the Set's
// runners share a collection. The Go collector gathers under a lock and
// stops the world to read memory statistics; without sharing, concurrent
// scrapes would queue one behind the other there.
type SharedGatherer struct {
	flight flight[gathered]
}

type gathered struct {
	block *Block
	err   error
}

// NewSharedGatherer shares the gatherings of g.
func NewSharedGatherer(g prometheus.Gatherer) *SharedGatherer {
	s := &SharedGatherer{}
	s.flight.fn = func(time.Time) gathered { return gatherBlock(g) }
	return s
}

// gatherBlock gathers g and encodes what it gathered as one Block.
func gatherBlock(g prometheus.Gatherer) gathered {
	fams, err := g.Gather()
	b, encErr := EncodeBlock(fams, flate.BestSpeed)
	return gathered{b, errors.Join(err, encErr)}
}

// NewConstantGatherer gathers g once, on the first call, and serves that
// block ever after: for a registry whose metrics never change (the build's
// information alone), which a scrape would otherwise gather and encode
// again each time.
func NewConstantGatherer(g prometheus.Gatherer) *SharedGatherer {
	s := &SharedGatherer{}
	once := sync.OnceValue(func() gathered { return gatherBlock(g) })
	s.flight.fn = func(time.Time) gathered { return once() }
	return s
}

// Block returns a block gathered during the call, and any error gathering
// or encoding it met (with what could be encoded).
func (s *SharedGatherer) Block() (*Block, error) {
	r := s.flight.do()
	return r.block, r.err
}
