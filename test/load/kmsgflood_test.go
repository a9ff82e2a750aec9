package load

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
)

// floodRecords is the size of each of the two floods. The second must
// overrun the guest kernel's log buffer several times over.
var floodRecords = flag.Int("kmsg.records", 10000, "records TestKmsgFlood writes in each of its two floods")

// floodKept is the agent's --collector.kmsg.records-kept in the guest.
const floodKept = 1000

// The guest's shell helpers: get PATH prints an endpoint of the agent;
// waitlog TEXT waits until the agent's kept records include TEXT (a
// safety net of 600 tries, a second apart).
const floodPrelude = `set -e
get() { wget -q -O - "http://127.0.0.1:19117$1"; }
waitlog() {
	i=0
	until get '/bootinfo/kmsg/records?limit=50' | grep -q "$1"; do
		i=$((i+1))
		[ $i -lt 600 ] || { echo "the agent never read: $1" >&2; exit 1; }
		sleep 1
	done
}
pid=$(cat /tmp/agent.pid 2>/dev/null || true)
read -r t0 _ </proc/uptime
took() { read -r t1 _ </proc/uptime; echo "guest seconds $t0 $t1" >&2; }
`

// TestKmsgFlood floods a kernel log with records written to /dev/kmsg and
// checks that the agent accounts for every one of them. It runs the agent
// in a QEMU guest (internal/testing/qemulab), whose kernel log it may fill: on the
// host, a flood of this size overwrites the whole ring buffer, boot
// messages included, which other tests and the machine's users
// read. The guest is quiet, so the accounting can be exact.
//
// Phase 1: -kmsg.records records (local7.debug, a tag no one else uses)
// between a start and an end marker while four clients scrape /metrics and
// /bootinfo/kmsg. No scrape may fail; the records the agent counted for
// the tag plus the records it counted lost cover every one written (and
// with none lost, as when the agent keeps up with the writer, it counted
// exactly those written).
//
// Phase 2: the agent is stopped (SIGSTOP) and as many records again are
// written, far more than the ring holds, so the kernel overwrites records
// the agent has not read; after SIGCONT its lost-record counter must equal
// the sequence-number gap between the last record it read and the oldest
// the kernel still held, and lost plus counted must cover every record
// written.
//
// Throughout: records seen + lost == last_seq - first_seq + 1, /metrics
// agrees with /bootinfo/kmsg, the kept records are exactly
// --collector.kmsg.records-kept ending with the last marker, and resident
// memory after the floods is at most twice what it was before.
func TestKmsgFlood(t *testing.T) {
	lab := qemulab.Setup(t)
	n := *floodRecords
	flood := func(phase int) string {
		return fmt.Sprintf(`i=0
while [ $i -lt %d ]; do echo "<191>loadtest-flood-%d $i" >/dev/kmsg; i=$((i+1)); done
`, n, phase)
	}
	cmds := []qemulab.Command{
		{Name: "setup", Script: floodPrelude + fmt.Sprintf(`ip link set lo up
mkdir -p /tmp/state
/bin/bootinfo serve --web.listen-address=127.0.0.1:19117 --no-collector.systemd --state.dir=/tmp/state \
	--collector.kmsg.records-kept=%d >/tmp/agent.log 2>&1 &
echo $! >/tmp/agent.pid
i=0
until get /healthz >/dev/null 2>&1; do
	i=$((i+1))
	[ $i -lt 600 ] || { echo "the agent did not start" >&2; cat /tmp/agent.log >&2; exit 1; }
	sleep 1
done
`, floodKept)},
		// The first scrape of /bootinfo/kmsg waits for the reader to
		// reach the end of the log.
		{Name: "kmsg0", Script: floodPrelude + "get /bootinfo/kmsg\n"},
		{Name: "rss0", Script: floodPrelude + "grep VmRSS /proc/$pid/status\n"},
		{Name: "flood1", Script: floodPrelude + `rm -f /tmp/stop
for k in 1 2 3 4; do
	( n=0; f=0
	while [ ! -e /tmp/stop ]; do
		get /metrics >/dev/null || f=$((f+1))
		get /bootinfo/kmsg >/dev/null || f=$((f+1))
		n=$((n+2))
	done
	echo "scrapes $n failed $f" ) &
done
echo "<191>loadtest-flood-1 start" >/dev/kmsg
` + flood(1) + `echo "<191>loadtest-flood-1 end" >/dev/kmsg
waitlog "loadtest-flood-1 end"
touch /tmp/stop
wait
took
`},
		{Name: "kmsg1", Script: floodPrelude + "get /bootinfo/kmsg\n"},
		{Name: "metrics1", Script: floodPrelude + "get /metrics\n"},
		// Phase 2's marker, read by the agent before it is stopped.
		{Name: "kmsg2stop", Script: floodPrelude + `echo "<191>loadtest-flood-2 stop" >/dev/kmsg
waitlog "loadtest-flood-2 stop"
get /bootinfo/kmsg
`},
		// kill returns once SIGSTOP is queued; a reader thread can still
		// take records off /dev/kmsg until it handles it. So the flood
		// waits until every thread of the agent shows it stopped.
		{Name: "overrun", Script: floodPrelude + `kill -STOP $pid
i=0
while grep -h '^State:' /proc/$pid/task/*/status | grep -qv 'T (stopped)'; do
	i=$((i+1))
	[ $i -lt 600 ] || { echo "the agent did not stop" >&2; exit 1; }
	sleep 0.1
done
` + flood(2) + `echo "<191>loadtest-flood-2 end" >/dev/kmsg
echo "oldest-before $(head -n 1 /dev/kmsg)"
kill -CONT $pid
waitlog "loadtest-flood-2 end"
echo "oldest-after $(head -n 1 /dev/kmsg)"
took
`},
		{Name: "kmsg2", Script: floodPrelude + "get /bootinfo/kmsg\n"},
		{Name: "metrics2", Script: floodPrelude + "get /metrics\n"},
		{Name: "records2", Script: floodPrelude + "get /bootinfo/kmsg/records\n"},
		{Name: "rss2", Script: floodPrelude + "grep VmRSS /proc/$pid/status\n"},
		{Name: "agentlog", Script: "cat /tmp/agent.log\n"},
	}
	res := lab.Run(t, "kmsg-flood", qemulab.Config{
		Firmware: qemulab.SeaBIOS,
		// No rate limit on user space's writes to /dev/kmsg (each
		// echo opens the device afresh anyway).
		Append:   qemulab.DefaultAppend + " printk.devkmsg=on",
		Files:    []qemulab.File{{Path: "/bin/bootinfo", HostPath: agent.GuestBinary(t), Mode: 0o755}},
		Commands: cmds,
	})
	t.Logf("phase 1 took %s, phase 2 %s by the guest's clock", guestSeconds(res, "flood1"), guestSeconds(res, "overrun"))
	out := func(name string) string {
		t.Helper()
		b, err := res.Command(name)
		if err != nil {
			agentLog, _ := res.Command("agentlog")
			t.Fatalf("%v\n%s\nagent log:\n%s", err, b, agentLog)
		}
		return string(b)
	}
	section := func(name string) kmsgSection {
		t.Helper()
		var s kmsgSection
		if err := json.Unmarshal([]byte(out(name)), &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.RecordsSeen+s.RecordsLost != s.LastSeq-s.FirstSeq+1 {
			t.Errorf("%s: seen %d + lost %d != last_seq %d - first_seq %d + 1", name, s.RecordsSeen, s.RecordsLost, s.LastSeq, s.FirstSeq)
		}
		return s
	}
	out("setup")
	k0, k1, kStop, k2 := section("kmsg0"), section("kmsg1"), section("kmsg2stop"), section("kmsg2")
	metrics := func(name string) agent.Metrics {
		t.Helper()
		m, err := agent.ParseMetrics([]byte(out(name)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	m1, m2 := metrics("metrics1"), metrics("metrics2")
	tagged := func(m agent.Metrics) float64 {
		return m.Value("bootinfo_kmsg_records_total", "facility", "local7", "level", "debug")
	}

	// Phase 1.
	var scrapes, failed int
	for line := range strings.SplitSeq(strings.TrimSpace(out("flood1")), "\n") {
		var s, f int
		if _, err := fmt.Sscanf(line, "scrapes %d failed %d", &s, &f); err != nil {
			t.Fatalf("flood1: %q: %v", line, err)
		}
		scrapes, failed = scrapes+s, failed+f
	}
	lost1 := k1.RecordsLost - k0.RecordsLost
	seen1 := uint64(tagged(m1)) // no local7.debug record before the flood
	t.Logf("phase 1: %d records written between two markers while 4 clients made %d scrapes (%d failed); the agent counted %d of them, %d records lost; last_seq %d -> %d",
		n, scrapes, failed, seen1, lost1, k0.LastSeq, k1.LastSeq)
	if failed != 0 || scrapes == 0 {
		t.Errorf("phase 1: %d of %d scrapes failed", failed, scrapes)
	}
	written := uint64(n + 2)
	if seen1 > written || seen1+lost1 < written {
		t.Errorf("phase 1: %d records written; the agent counted %d and %d lost, which does not account for them", written, seen1, lost1)
	}
	if lost1 == 0 && seen1 != written {
		t.Errorf("phase 1: no record lost, but the agent counted %d of the %d written", seen1, written)
	}
	checkMetricsAgree(t, "phase 1", m1, k1)

	// Phase 2.
	var before, after uint64
	for line := range strings.SplitSeq(out("overrun"), "\n") {
		if v, ok := strings.CutPrefix(line, "oldest-before "); ok {
			before = kmsgSeq(t, v)
		}
		if v, ok := strings.CutPrefix(line, "oldest-after "); ok {
			after = kmsgSeq(t, v)
		}
	}
	lost2 := k2.RecordsLost - kStop.RecordsLost
	// The agent read up to kStop.LastSeq (or a record logged between that
	// scrape and SIGSTOP, which a quiet guest does not log); the first
	// record it read after SIGCONT was the oldest the kernel held then,
	// between what `head` saw before SIGCONT and after the agent caught up.
	lo, hi := int64(before)-int64(kStop.LastSeq)-1, int64(after)-int64(kStop.LastSeq)-1
	t.Logf("phase 2: agent stopped after seq %d; %d records written; the kernel's oldest record then seq %d (%d after the agent caught up); the agent counted %d lost, %d tagged records seen; last_seq %d",
		kStop.LastSeq, n+1, before, after, lost2, uint64(tagged(m2))-seen1-1, k2.LastSeq)
	if before <= kStop.LastSeq+1 {
		t.Fatalf("phase 2: the kernel still held seq %d, the first record after the agent's last: %d records did not overrun the ring", kStop.LastSeq+1, n)
	}
	if int64(lost2) < lo || int64(lost2) > hi {
		t.Errorf("phase 2: the agent counted %d records lost; the sequence gap says %d..%d (exact unless the guest's kernel logged between the stop marker and SIGSTOP)", lost2, lo, hi)
	}
	tagged2 := uint64(tagged(m2)) - seen1 - 1 // less phase 1's and the stop marker
	if tagged2 > uint64(n+1) || tagged2+lost2 < uint64(n+1) {
		t.Errorf("phase 2: %d records written after the stop marker; the agent counted %d of them and %d lost, which does not account for them", n+1, tagged2, lost2)
	}
	if k2.LastSeq < before {
		t.Errorf("phase 2: the agent's last_seq %d is before the kernel's oldest record %d", k2.LastSeq, before)
	}
	checkMetricsAgree(t, "phase 2", m2, k2)

	// The kept records: exactly as many as asked, in order, the last
	// marker last.
	var recs struct {
		Records []struct {
			Seq     uint64 `json:"seq"`
			Message string `json:"message"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(out("records2")), &recs); err != nil {
		t.Fatalf("records2: %v", err)
	}
	if len(recs.Records) != floodKept {
		t.Errorf("%d records kept, want --collector.kmsg.records-kept=%d", len(recs.Records), floodKept)
	}
	for i := 1; i < len(recs.Records); i++ {
		if recs.Records[i].Seq <= recs.Records[i-1].Seq {
			t.Errorf("kept records out of order: seq %d after %d", recs.Records[i].Seq, recs.Records[i-1].Seq)
			break
		}
	}
	if l := len(recs.Records); l > 0 && recs.Records[l-1].Message != "loadtest-flood-2 end" {
		t.Errorf("last kept record %q, want the last marker", recs.Records[l-1].Message)
	}

	rss0, rss2 := vmRSS(t, out("rss0")), vmRSS(t, out("rss2"))
	t.Logf("VmRSS %d kB before the floods, %d kB after %d records", rss0, rss2, 2*n+3)
	if rss2 > 2*rss0 {
		t.Errorf("resident memory grew from %d kB to %d kB over the floods (more than twice)", rss0, rss2)
	}
}

// kmsgSection is the part of /bootinfo/kmsg the flood checks.
type kmsgSection struct {
	RecordsSeen uint64 `json:"records_seen"`
	FirstSeq    uint64 `json:"first_seq"`
	LastSeq     uint64 `json:"last_seq"`
	RecordsLost uint64 `json:"records_lost"`
}

// checkMetricsAgree compares /metrics, scraped right after /bootinfo/kmsg
// in a quiet guest, with it.
func checkMetricsAgree(t *testing.T, what string, m agent.Metrics, s kmsgSection) {
	t.Helper()
	seen := m.Value("bootinfo_kmsg_records_total")
	lost, ok := m.Sum("bootinfo_kmsg_lost_records_total")
	if !ok || uint64(seen) != s.RecordsSeen || uint64(lost) != s.RecordsLost {
		t.Errorf("%s: /metrics says %v records read and %v lost, /bootinfo/kmsg %d and %d", what, seen, lost, s.RecordsSeen, s.RecordsLost)
	}
}

// kmsgSeq is the sequence number of a /dev/kmsg line
// ("priority,seq,usec,flags;message").
func kmsgSeq(t *testing.T, line string) uint64 {
	t.Helper()
	f := strings.SplitN(line, ",", 3)
	if len(f) < 3 {
		t.Fatalf("not a /dev/kmsg record: %q", line)
	}
	n, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatalf("not a /dev/kmsg record: %q", line)
	}
	return n
}

func vmRSS(t *testing.T, line string) uint64 {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "VmRSS:" {
		t.Fatalf("not a VmRSS line: %q", line)
	}
	n, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// guestSeconds is how long a command that called took ran, by the
// guest's clock.
func guestSeconds(res *qemulab.Result, name string) string {
	var t0, t1 float64
	if o := res.Outputs[name]; o != nil {
		for line := range strings.SplitSeq(string(o.Stderr), "\n") {
			if _, err := fmt.Sscanf(line, "guest seconds %g %g", &t0, &t1); err == nil {
				return fmt.Sprintf("%.1fs", t1-t0)
			}
		}
	}
	return "unknown"
}
