package systemd

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
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
	dir, err := os.MkdirTemp("", "sdclock")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "private"))
	if err != nil {
		t.Fatal(err)
	}
	cc := &callClock{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
		os.RemoveAll(dir)
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			manager, err := net.Dial("unix", sock)
			if err != nil {
				client.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, client, manager)
			mu.Unlock()
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(client, manager)
				client.Close()
			}()
			go func() {
				defer wg.Done()
				_ = cc.pass(manager, client)
				manager.Close()
			}()
		}
	}()
	return cc, "unix:path=" + filepath.Join(dir, "private")
}

// pass copies what the client writes to the manager: the authentication
// lines up to BEGIN, then whole messages, noting the method calls.
func (cc *callClock) pass(dst io.Writer, src io.Reader) error {
	r := bufio.NewReader(src)
	for {
		line, err := r.ReadBytes('\n')
		if _, werr := dst.Write(line); werr != nil || err != nil {
			return cmpErr(err, werr)
		}
		if bytes.HasPrefix(bytes.TrimLeft(line, "\x00"), []byte("BEGIN")) {
			break
		}
	}
	for {
		fixed, err := r.Peek(16)
		if err != nil {
			return err
		}
		h, err := parseFixed(fixed)
		if err != nil {
			return err
		}
		msg := make([]byte, h.size())
		if _, err := io.ReadFull(r, msg); err != nil {
			return err
		}
		if h.typ == msgMethodCall {
			cc.mu.Lock()
			cc.at = append(cc.at, time.Now())
			cc.mu.Unlock()
		}
		if _, err := dst.Write(msg); err != nil {
			return err
		}
	}
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
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
	// listing, ...) are not paced: a handful a sync.
	const unpaced = 16
	most, all := cc.busiest()
	t.Logf("%d property reads, %d calls in all; at most %d in a second; %d pauses", st.PropertyReads, all, most, st.CallPauses)
	if most > rate+unpaced {
		t.Errorf("%d calls went to the manager in one second, more than the rate of %d (and %d unpaced)", most, rate, unpaced)
	}
}
