package systemd

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
)

// callClock stands between watchers and a manager's private socket,
// passes every byte on, and notes when each method call a watcher sends
// goes by: what the manager's loop sees, measured outside the watcher.
type callClock struct {
	mu sync.Mutex
	at []time.Time
}

func startCallClock(t *testing.T, target string) (*callClock, string) {
	t.Helper()
	sock, err := socketPath(target)
	if err != nil {
		t.Fatal(err)
	}
	cc := &callClock{}
	return cc, listenProxy(t, sock, cc.serve)
}

// serve relays one client's connection, noting the method calls it sends
// once authentication is over.
func (cc *callClock) serve(client, mgr net.Conn) {
	defer client.Close()
	defer mgr.Close()
	go func() {
		defer client.Close()
		_, _ = io.Copy(client, mgr)
	}()
	fromClient(client, func(chunk []byte, message bool) bool {
		if message && chunk[1] == msgMethodCall {
			cc.mu.Lock()
			cc.at = append(cc.at, time.Now())
			cc.mu.Unlock()
		}
		_, err := mgr.Write(chunk)
		return err == nil
	})
}

// busiest returns the most calls that went by in any second, and how
// many went by in all.
func (cc *callClock) busiest() (most, all int) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	j := 0
	for i, t := range cc.at {
		for j < len(cc.at) && cc.at[j].Before(t.Add(time.Second)) {
			j++
		}
		most = max(most, j-i)
	}
	return most, len(cc.at)
}

// TestLabSyncIsPaced: a watcher whose call rate is far below what a sync
// of the lab needs never sends the manager more calls in a second than
// that rate (as a proxy in front of the manager counts them), and the
// sync still completes, every unit in detail and without a fault, though
// the pauses are longer than the watcher's call timeout.
func TestLabSyncIsPaced(t *testing.T) {
	l := startLab(t, systemdlab.Instances(30))
	cc, addr := startCallClock(t, l.PrivateAddress())
	const rate = 100
	w := startWatcher(t, Options{Address: addr, CallRate: rate, Timeout: 300 * time.Millisecond})
	agree(t, w, "units", func() map[string]unitLine { return oracleUnits(t, l) }, snapshotUnits)
	st := w.Stats()
	if st.PropertyReads < 3*rate {
		t.Fatalf("the sync read %d properties, too few to need pacing at %d a second", st.PropertyReads, rate)
	}
	if st.CallPauses == 0 || st.UnitFaults != 0 || st.Sessions != 1 {
		t.Errorf("pauses %d, unit faults %d, sessions %d: want pauses, no fault, one session", st.CallPauses, st.UnitFaults, st.Sessions)
	}
	// The calls made through godbus (Subscribe, ListUnits, the unit file
	// listing, ...) are not paced, and the reads of the manager's counters
	// are counted but never held back: a handful a sync.
	const unpaced = 16
	most, all := cc.busiest()
	t.Logf("%d property reads, %d calls in all; at most %d in a second; %d pauses", st.PropertyReads, all, most, st.CallPauses)
	if most > rate+unpaced {
		t.Errorf("%d calls went to the manager in one second, more than the rate of %d (and %d unpaced)", most, rate, unpaced)
	}
}
