package collectors

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/prometheus/common/promslog"
)

// snapshotText is snap's series in the text format, as the Set encodes them.
func snapshotText(t *testing.T, snap *Snapshot) string {
	t.Helper()
	fams, err := gatherSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encodeText(fams)
	if err != nil {
		t.Fatal(err)
	}
	return string(b.Text)
}

// checkKey fails unless prev and cur have equal MetricsKeys exactly when
// their series are the same, and reports whether they are.
func checkKey(t *testing.T, step string, prev, cur *Snapshot) bool {
	t.Helper()
	if cur.MetricsKey == nil {
		t.Fatalf("%s: no MetricsKey", step)
	}
	sameKey := prev.MetricsKey == cur.MetricsKey
	sameText := snapshotText(t, prev) == snapshotText(t, cur)
	if sameKey != sameText {
		t.Errorf("%s: equal keys %v, equal series %v:\n%s\nthen\n%s", step, sameKey, sameText, snapshotText(t, prev), snapshotText(t, cur))
	}
	return sameText
}

// TestKmsgMetricsKey: the kmsg collector's snapshots have equal keys
// exactly when their series are the same, whatever the records move (a
// level's count, a problem, a milestone, taint, lost records, a reader
// restart); the Set serves the block it made while the key holds, and a
// new one with the new counts when it changes.
func TestKmsgMetricsKey(t *testing.T) {
	c := newKmsg(t, true)
	var st kmsg.FollowerState
	cur := c.snapshot(false, st)
	s := NewSet(map[string]Collector{"kmsg": funcCollector(func(context.Context) (*Snapshot, error) {
		return c.snapshot(false, st), nil
	})}, time.Minute, promslog.NewNopLogger())
	block := collectorBlock(t, s)
	seq := uint64(0)
	for _, step := range []struct {
		name   string
		line   string // a record to add, "" for none
		gap    uint64 // sequence numbers skipped before it
		change bool   // whether the series move
	}{
		{name: "nothing new"},
		{name: "first record", line: "6,%d,10,-;Linux version 6.1.0-27-amd64 (debian-kernel@lists.debian.org)", change: true},
		{name: "nothing new again"},
		{name: "same level and facility again", line: "6,%d,11,-;random: crng init done", change: true},
		{name: "user warning", line: "12,%d,20,-;second user warning", change: true},
		{name: "OOM kill", line: "3,%d,30,-;Out of memory: Killed process 812 (stress) total-vm:1052804kB", change: true},
		{name: "taint", line: "4,%d,40,-;loop: module verification failed: signature and/or required key missing - tainting kernel", change: true},
		{name: "lost records", line: "6,%d,50,-;after a gap", gap: 5, change: true},
		{name: "reader restart", change: true},
		{name: "nothing new at the end"},
	} {
		switch {
		case step.line != "":
			seq += 1 + step.gap
			r, err := kmsg.ParseRecord([]byte(strings.Replace(step.line, "%d", itoa(seq), 1)))
			if err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			c.add(r)
		case step.change:
			st.Restarts++
		}
		prev := cur
		cur = c.snapshot(false, st)
		if same := checkKey(t, step.name, prev, cur); same == step.change {
			t.Errorf("%s: series changed %v, want %v", step.name, !same, step.change)
		}
		b := collectorBlock(t, s)
		if (b == block) == step.change {
			t.Errorf("%s: block reused %v, want %v", step.name, b == block, !step.change)
		}
		if want := "bootinfo_kmsg_reader_restarts_total " + itoa(st.Restarts) + "\n"; !strings.Contains(string(b.Text), want) {
			t.Errorf("%s: block lacks %q:\n%s", step.name, want, b.Text)
		}
		block = b
	}
	if !strings.Contains(string(block.Text), `bootinfo_kmsg_records_total{facility="kern",level="info"} 3`) ||
		!strings.Contains(string(block.Text), "bootinfo_kmsg_lost_records_total 5\n") {
		t.Errorf("the last block does not hold the last counts:\n%s", block.Text)
	}
}

// TestKmsgMetricsKeyLive: on this machine's /dev/kmsg, read again, the key
// stays exactly while the series do (the kernel may log between the two
// readings).
func TestKmsgMetricsKeyLive(t *testing.T) {
	c, _ := liveKmsg(t, true)
	prev, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cur, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkKey(t, "read again", prev, cur)
}

// TestHostMetricsKey: the host collector's snapshots differ at every
// collection (uptime) but keep their key, and the Set its block, until the
// series change: here the host is renamed.
func TestHostMetricsKey(t *testing.T) {
	root := agent.BareFixtureRoot(t)
	c, prev := collect(t, NewHostCollector, Config{Paths: Paths{RootFS: root, ProcFS: filepath.Join(root, "proc")}})
	_, cur := collect(t, func(Config) (Collector, error) { return c, nil }, Config{})
	if cur == prev {
		t.Fatal("the same snapshot twice; the test needs two collections")
	}
	if !checkKey(t, "collected again", prev, cur) {
		t.Error("series changed without a change on the host")
	}
	s := NewSet(map[string]Collector{"host": c}, time.Minute, promslog.NewNopLogger())
	first := collectorBlock(t, s)
	if again := collectorBlock(t, s); again != first {
		t.Error("an unchanged host was encoded again")
	}
	if err := os.WriteFile(filepath.Join(root, "proc", "sys", "kernel", "hostname"), []byte("renamed-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, renamed := collect(t, func(Config) (Collector, error) { return c, nil }, Config{})
	if checkKey(t, "renamed", cur, renamed) {
		t.Error("renaming the host did not change the series")
	}
	if b := collectorBlock(t, s); b == first || !strings.Contains(string(b.Text), `hostname="renamed-host"`) {
		t.Errorf("the renamed host's block:\n%s", b.Text)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
