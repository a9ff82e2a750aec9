package collectors

import (
	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/kmsg"
)

// LastWordsSource is what the checkpoint takes from the kernel log: the
// kmsg collector implements it.
type LastWordsSource interface {
	// CaughtUp is closed once the reader has read the buffer through.
	CaughtUp() <-chan struct{}
	// LastWords returns this boot's kernel problem counts by kind and the
	// newest n kernel-facility records at warning or worse, oldest first.
	LastWords(n int) (map[string]uint64, []history.KernelMessage)
}

// CaughtUp is closed once the follower has read the buffer through.
func (c *kmsgCollector) CaughtUp() <-chan struct{} { return c.follower.CaughtUp() }

// LastWords returns the problem counts of the summary and the newest n
// kernel records at warning or worse that the ring holds.
func (c *kmsgCollector) LastWords(n int) (map[string]uint64, []history.KernelMessage) {
	snap := c.summary.Snapshot()
	problems := make(map[string]uint64, len(snap.Problems))
	for k, p := range snap.Problems {
		problems[string(k)] = p.Count
	}
	warning := kmsg.LevelWarning
	recs := c.ring.Query(kmsg.Query{MaxLevel: &warning, KernelOnly: true, Limit: n})
	msgs := make([]history.KernelMessage, len(recs))
	for i, r := range recs {
		msgs[i] = history.KernelMessage{Seq: r.Seq, Level: r.Level.String(), TimeUS: r.TimestampUsec, Message: r.Message}
	}
	return problems, msgs
}
