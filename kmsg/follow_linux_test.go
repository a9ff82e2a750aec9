package kmsg

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFollowerLiveDevice runs a Follower on this machine's /dev/kmsg as
// the agent does: it reads the whole log, says it caught up, and then
// passes on a record written afterwards, once.
func TestFollowerLiveDevice(t *testing.T) {
	requireRoot(t)
	openLive(t, OpenOptions{}) // or skip
	tok := token(t)
	mine := make(chan Record, 4)
	var seqs []uint64
	f := NewFollower(NewFS("/dev"), func(r Record) {
		seqs = append(seqs, r.Seq)
		if strings.Contains(r.Message, tok) {
			mine <- r
		}
	}, func(err error, _ time.Duration) { t.Errorf("reading failed: %v", err) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	<-f.CaughtUp()
	writeKmsg(t, "<12>bootinfo-follower-test: "+tok+"\n")
	r := <-mine
	cancel()
	<-done
	if r.Facility != FacilityUser || r.Level != LevelWarning {
		t.Errorf("record %+v", r)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("record %d passed on after %d", seqs[i], seqs[i-1])
		}
	}
	if st := f.State(); !st.Seen || st.LastSeq < r.Seq || st.Restarts != 0 {
		t.Errorf("state %+v after record %d", st, r.Seq)
	}
}
