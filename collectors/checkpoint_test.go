package collectors

import (
	"context"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/prometheus/common/promslog"
)

// followKmsg returns the kmsg collector following the real /dev/kmsg,
// caught up, or skips when the device cannot be read. The collector
// follows until stop, which returns once its follower has stopped, so
// that what it read holds still from then on; the test's end stops it too.
func followKmsg(t *testing.T, ctx context.Context) (kc *kmsgCollector, stop func()) {
	t.Helper()
	c, err := NewKmsgCollector(Config{Paths: Paths{DevFS: "/dev"}, Logger: promslog.NewNopLogger(), Kmsg: KmsgConfig{Keep: DefaultKmsgKeep, Records: true}})
	if err != nil {
		t.Fatal(err)
	}
	kc = c.(*kmsgCollector)
	kctx, cancel := context.WithCancel(ctx)
	kc.Run(kctx)
	stop = func() {
		cancel()
		<-kc.stopped
	}
	t.Cleanup(stop)
	<-kc.CaughtUp()
	if st := kc.follower.State(); st.Err != nil && !st.Seen {
		testutil.SkipOrFail(t, "/dev/kmsg: %v", st.Err)
	}
	return kc, stop
}

// waitCheckpoint waits for dir's checkpoint of this boot to satisfy ok.
func waitCheckpoint(t *testing.T, dir string, ok func(*history.Checkpoint) bool) *history.Checkpoint {
	t.Helper()
	var got *history.Checkpoint
	testutil.WaitFor(t, "the checkpoint", func() error {
		c, err := history.ReadCheckpoint(dir, history.CheckpointFileName)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		got = c
		if c == nil || !ok(c) {
			return errors.New("not yet written as expected")
		}
		return nil
	})
	return got
}

// firstBoot follows the live kernel log (until stopKmsg) and starts the
// history of a first boot with bootID in a fresh state directory,
// collected once.
func firstBoot(t *testing.T, ctx context.Context, bootID string) (kc *kmsgCollector, stopKmsg func(), state string, first Paths, h1 *historyCollector) {
	t.Helper()
	kc, stopKmsg = followKmsg(t, ctx)
	state = t.TempDir()
	first = bootRoot(t, bootID, "6.1.0-26-amd64", "dell-xps9365")
	h1 = newHistory(t, first, state, true)
	h1.Run(ctx)
	if _, err := h1.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	return kc, stopKmsg, state, first, h1
}

// TestCheckpointsAcrossBoots runs serve's checkpoints over the live kernel
// log in a first boot stopped with a reboot queued, and the history of the
// next boot: what the first wrote is what the kernel log held, read
// independently from /dev/kmsg, and the next boot serves it with the kind.
func TestCheckpointsAcrossBoots(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kc, stopKmsg, state, first, h1 := firstBoot(t, ctx, "55555555-5555-4555-8555-555555555555")
	asked := 0
	cp := NewCheckpoints(CheckpointConfig{Dir: state, Paths: first, Records: true, Source: kc, Logger: promslog.NewNopLogger(),
		Shutdown: func(context.Context) (string, string, error) {
			asked++
			return history.KindReboot, "job 7 reboot.target start waiting", nil
		}})
	cp.Run(ctx)
	waitCheckpoint(t, state, func(*history.Checkpoint) bool { return true })
	// The kernel log goes on; what the collector read stops here, before
	// the last checkpoint, which the oracle below compares with exactly
	// what the collector had read: up to this sequence number, with these
	// problem counts.
	stopKmsg()
	read := kc.summary.Snapshot()
	before := time.Now()
	cp.Stop()
	h1.Stop()
	last, err := history.ReadCheckpoint(state, history.CheckpointFileName)
	if err != nil {
		t.Fatal(err)
	}
	if asked != 1 || last.Stop == nil || last.Stop.Kind != history.KindReboot || last.Stop.At.Before(before) {
		t.Fatalf("stop mark %+v after %d questions", last.Stop, asked)
	}

	// The oracle: the kernel's own buffer, read again from the device.
	dev, err := kmsg.NewFS("/dev").Open(kmsg.OpenOptions{})
	if err != nil {
		t.Fatalf("/dev/kmsg, read by the collector a moment ago: %v", err)
	}
	defer dev.Close()
	var want []history.KernelMessage
	rctx := testutil.Context(t)
	// The collector keeps the last DefaultKmsgKeep records it read, of
	// any level: an older warning (on a machine whose loop devices have
	// logged thousands of lines since) is not among its last words.
	var kept []kmsg.Record
	for {
		r, err := dev.Next(rctx)
		if err != nil || r.Seq > read.LastSeq {
			break
		}
		if kept = append(kept, r); len(kept) > DefaultKmsgKeep {
			kept = kept[1:]
		}
	}
	for _, r := range kept {
		if r.Facility == kmsg.FacilityKern && r.Level <= kmsg.LevelWarning {
			want = append(want, history.KernelMessage{Seq: r.Seq, Level: r.Level.String(), TimeUS: r.TimestampUsec, Message: r.Message})
		}
	}
	if len(want) > checkpointMessages {
		want = want[len(want)-checkpointMessages:]
	}
	for i := range want {
		want[i].Message = strings.ToValidUTF8(want[i].Message, "\uFFFD")
		if len(want[i].Message) > history.MaxKernelMessageBytes {
			want[i].Message = strings.ToValidUTF8(want[i].Message[:history.MaxKernelMessageBytes], "")
		}
	}
	if len(want) == 0 {
		want = nil
	}
	if (len(last.KernelMessages) > 0 || len(want) > 0) && !reflect.DeepEqual(last.KernelMessages, want) {
		t.Errorf("checkpointed messages:\n%+v\nthe device's last %d kernel records at warning or worse:\n%+v", last.KernelMessages, checkpointMessages, want)
	}
	for k, p := range read.Problems {
		if last.KernelProblems[string(k)] != p.Count {
			t.Errorf("problem %s: checkpointed %d, the collector counts %d", k, last.KernelProblems[string(k)], p.Count)
		}
	}
	if len(last.KernelProblems) != len(read.Problems) {
		t.Errorf("checkpointed problems %v, the collector counts %d kinds", last.KernelProblems, len(read.Problems))
	}
	t.Logf("checkpoint: %d kernel messages at warning or worse, problems %v", len(last.KernelMessages), last.KernelProblems)

	second := bootRoot(t, "66666666-6666-4666-8666-666666666666", "6.1.0-26-amd64", "dell-xps9365")
	h2 := newHistory(t, second, state, true)
	h2.records = true
	h2.Run(ctx)
	snap, err := h2.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := snap.Section.(*HistorySection).PreviousBootEnd
	if e.State != history.EndClean || e.Kind != history.KindReboot || e.LastAlive == nil || !e.LastAlive.Equal(last.LastAlive) ||
		!reflect.DeepEqual(e.LastKernelMessages, last.KernelMessages) || !reflect.DeepEqual(e.KernelProblems, last.KernelProblems) {
		t.Errorf("next boot sees %+v", e)
	}
	m := metricsText(t, snap, "bootinfo_previous_boot_end_info")
	if m != "bootinfo_previous_boot_end_info{kind=reboot} 1\n" {
		t.Errorf("metrics:\n%s", m)
	}
}

// TestCheckpointsKilled: a boot whose agent is never stopped (killed, or
// the power went) leaves its periodic checkpoints and no stop mark; the
// next boot says unknown and when it was last alive. Without message
// text (--no-collector.kmsg.records) none is stored.
func TestCheckpointsKilled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kc, _, state, first, _ := firstBoot(t, ctx, "77777777-7777-4777-8777-777777777777")
	runCtx, kill := context.WithCancel(ctx)
	cp := NewCheckpoints(CheckpointConfig{Dir: state, Paths: first, Records: false, Source: kc, Logger: promslog.NewNopLogger(), Interval: 20 * time.Millisecond})
	cp.Run(runCtx)
	var seen []time.Time
	c := waitCheckpoint(t, state, func(c *history.Checkpoint) bool {
		if len(seen) == 0 || !seen[len(seen)-1].Equal(c.LastAlive) {
			seen = append(seen, c.LastAlive)
		}
		return len(seen) >= 3
	})
	kill()
	<-cp.done
	if c.Stop != nil || !c.MessagesWithheld || c.KernelMessages != nil {
		t.Fatalf("checkpoint %+v", c)
	}
	final, err := history.ReadCheckpoint(state, history.CheckpointFileName)
	if err != nil || final.Stop != nil {
		t.Fatalf("after the kill: %+v, %v", final, err)
	}

	second := bootRoot(t, "88888888-8888-4888-8888-888888888888", "6.1.0-26-amd64", "dell-xps9365")
	h2 := newHistory(t, second, state, true)
	h2.Run(ctx)
	snap, err := h2.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := snap.Section.(*HistorySection).PreviousBootEnd
	if e.State != history.EndUnknown || e.Kind != history.KindUnknown || e.LastAlive == nil || !e.LastAlive.Equal(final.LastAlive) ||
		!strings.Contains(e.KindDetail, "last alive at") {
		t.Errorf("next boot sees %+v", e)
	}
}
