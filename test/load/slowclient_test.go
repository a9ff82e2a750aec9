package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// slowConns is how many connections each slow-client case holds open.
const slowConns = 16

// TestSlowClients holds connections open the ways a slow or hostile client
// can: trickling its request headers a byte at a time and never finishing
// them (slowloris), trickling a request body, and sending requests but never
// reading the responses. For each it asserts that the agent accepted the connections
// (its descriptors rose), that other clients are served all the while, that
// the agent itself closes every such connection in the end (its read and
// write timeouts; the clients never give up), and that its goroutines and
// descriptors then come back to their baseline. How long that takes is
// logged, not asserted; a missing timeout shows as a failure at the
// safety net.
func TestSlowClients(t *testing.T) {
	a := startAll(t, nil)
	host, _ := strings.CutPrefix(a.Base, "http://")
	c := newClient()
	for _, p := range []string{"/metrics", "/bootinfo", "/bootinfo?pretty"} {
		scrape(t, c, a.Base, p)
	}
	c.CloseIdleConnections()
	base := look(t, a)
	t.Logf("baseline: %v", base)
	dial := func() (net.Conn, error) { return net.Dial("tcp", host) }

	// Trickling the headers: the read-header timeout must end it.
	t.Run("slowloris", func(t *testing.T) {
		holdSlow(t, a, base, "trickled their headers", dial, trickle("GET /metrics HTTP/1.1\r\nHost: loadtest\r\nX-Trickle: "))
	})
	// Complete headers, then a body trickled. The handler does not read
	// it (POST is refused); before replying, the server reads what is
	// left of a body under 256 KiB, to keep the connection, and the
	// whole-request read timeout must end that wait.
	t.Run("slow-body", func(t *testing.T) {
		holdSlow(t, a, base, "trickled a body", dial, trickle("POST /metrics HTTP/1.1\r\nHost: loadtest\r\nContent-Length: 100000\r\n\r\n"))
	})

	t.Run("stalled-reader", func(t *testing.T) {
		// Enough pipelined requests that their responses overflow the
		// socket buffers on both ends (a 4 KiB receive buffer here, at
		// most tcp_wmem's maximum, a few MiB, on the agent's side), so
		// that a write of the agent's blocks.
		_, _, body := a.Get(t, http.MethodGet, "/bootinfo?pretty")
		pipelined := max(64, (32<<20)/max(len(body), 1))
		req := []byte("GET /bootinfo?pretty HTTP/1.1\r\nHost: loadtest\r\n\r\n")
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			})
			return errors.Join(err, serr)
		}}
		what := fmt.Sprintf("sent %d pipelined requests each (responses of %d bytes) and read none", pipelined, len(body))
		holdSlow(t, a, base, what, func() (net.Conn, error) { return d.Dial("tcp", host) }, func(conn net.Conn, stop <-chan struct{}) {
			// Never read; only notice the agent closing the
			// connection, when writing more fails.
			for range pipelined {
				if _, err := conn.Write(req); err != nil {
					return
				}
			}
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
				case <-stop:
					return
				}
				if _, err := conn.Write(req); err != nil {
					return
				}
			}
		})
	})
}

// trickle returns a slow client that sends head and then one byte every
// 300 ms, never finishing, until the agent closes the connection.
func trickle(head string) func(net.Conn, <-chan struct{}) {
	return func(conn net.Conn, stop <-chan struct{}) {
		eof := make(chan struct{})
		go func() {
			defer close(eof)
			_, _ = io.Copy(io.Discard, conn)
		}()
		if _, err := conn.Write([]byte(head)); err != nil {
			<-eof
			return
		}
		for k := 0; ; k++ {
			if _, err := conn.Write([]byte{byte('a' + k%26)}); err != nil {
				<-eof
				return
			}
			select {
			case <-eof:
				return
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
}

// holdSlow opens slowConns connections with dial, each driven by client
// until the agent closes it (or stop closes at the end of the test). It
// checks that others are served while they are held, that the agent closes
// every one, and that its goroutines and descriptors then return to base.
func holdSlow(t *testing.T, a *agent.Agent, base resources, what string, dial func() (net.Conn, error), client func(conn net.Conn, stop <-chan struct{})) {
	t.Helper()
	start := time.Now()
	closed := make([]chan struct{}, slowConns)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range slowConns {
		conn, err := dial()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		closed[i] = make(chan struct{})
		wg.Go(func() {
			defer close(closed[i])
			client(conn, stop)
		})
	}
	defer func() { close(stop); wg.Wait() }()
	served := serveWhileHeld(t, a, base, closed)
	waitClosed(t, closed, "the agent to close every slow connection")
	t.Logf("%d connections %s; %d requests of others served meanwhile; the agent closed them all %v after they opened",
		slowConns, what, served, time.Since(start).Round(100*time.Millisecond))
	t.Logf("after: %v", waitBaseline(t, a, base, 2, 2))
}

// serveWhileHeld waits until the agent holds a descriptor for every slow
// connection, then scrapes with an ordinary client until the agent closes
// the first of them (at least a few rounds), failing on any error. It
// returns how many requests were served.
func serveWhileHeld(t *testing.T, a *agent.Agent, base resources, closed []chan struct{}) int {
	t.Helper()
	testutil.WaitFor(t, "the agent to accept the slow connections", func() error {
		r, err := a.Resources()
		if err == nil && r.FDs < base.FDs+len(closed) {
			err = fmt.Errorf("%d fds, baseline %d", r.FDs, base.FDs)
		}
		return err
	})
	c := newClient()
	defer c.CloseIdleConnections()
	served := 0
	for round := 0; ; round++ {
		for _, p := range []string{"/metrics", "/bootinfo", "/healthz"} {
			scrape(t, c, a.Base, p)
			served++
		}
		select {
		case <-closed[0]:
			if round < 3 {
				// Closed before anyone could be served alongside:
				// the case proves nothing.
				t.Fatalf("the agent closed a slow connection after %d rounds of other requests", round)
			}
			return served
		default:
		}
	}
}

func waitClosed(t *testing.T, closed []chan struct{}, what string) {
	t.Helper()
	testutil.WaitFor(t, what, func() error {
		open := 0
		for _, c := range closed {
			select {
			case <-c:
			default:
				open++
			}
		}
		if open > 0 {
			return fmt.Errorf("%d of %d still open", open, len(closed))
		}
		return nil
	})
}

// TestMethods sends every method to every kind of endpoint, over kept-alive
// connections and closed ones, many times: GET answers as it should, HEAD
// with GET's status and no body, anything else 405 with Allow: GET, HEAD.
// Afterwards the agent's goroutines and descriptors are back to their
// baseline.
func TestMethods(t *testing.T) {
	a := startAll(t, nil)
	host, _ := strings.CutPrefix(a.Base, "http://")
	paths := map[string]int{
		"/metrics":               200,
		"/bootinfo":              200,
		"/bootinfo/kmsg":         200,
		"/bootinfo/kmsg/records": 200,
		"/bootinfo/nosuch":       404,
		"/healthz":               200,
		"/":                      200,
	}
	others := []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "BREW"}
	base := look(t, a)
	const rounds = 20
	requests := 0
	for round := range rounds {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		keepAlive := round%2 == 0
		do := func(method, path string) (*http.Response, []byte) {
			t.Helper()
			if !keepAlive {
				conn.Close()
				if conn, err = net.Dial("tcp", host); err != nil {
					t.Fatal(err)
				}
				br = bufio.NewReader(conn)
			}
			body := ""
			if method == "POST" || method == "PUT" || method == "PATCH" {
				body = `{"x":1}`
			}
			fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: loadtest\r\nContent-Length: %d\r\n\r\n%s", method, path, len(body), body)
			resp, err := http.ReadResponse(br, &http.Request{Method: method})
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("%s %s: reading the body: %v", method, path, err)
			}
			requests++
			if resp.Close && keepAlive {
				// The server said it closes this connection (Go's
				// does after answering a CONNECT it did not take
				// up): go on over a new one, as a client would.
				conn.Close()
				if conn, err = net.Dial("tcp", host); err != nil {
					t.Fatal(err)
				}
				br = bufio.NewReader(conn)
			}
			return resp, b
		}
		for path, want := range paths {
			get, getBody := do("GET", path)
			if get.StatusCode != want || len(getBody) == 0 {
				t.Errorf("GET %s: %s with %d bytes, want %d with a body", path, get.Status, len(getBody), want)
			}
			head, headBody := do("HEAD", path)
			if head.StatusCode != want || len(headBody) != 0 {
				t.Errorf("HEAD %s: %s with %d bytes, want %d and no body", path, head.Status, len(headBody), want)
			}
			if g, h := get.Header.Get("Content-Type"), head.Header.Get("Content-Type"); g != h {
				t.Errorf("HEAD %s: Content-Type %q, GET's is %q", path, h, g)
			}
			for _, m := range others {
				resp, _ := do(m, path)
				if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("%s %s: %s, Allow %q; want 405 and Allow: GET, HEAD", m, path, resp.Status, resp.Header.Get("Allow"))
				}
			}
			if t.Failed() {
				t.FailNow()
			}
		}
		conn.Close()
	}
	r := waitBaseline(t, a, base, 2, 2)
	t.Logf("%d requests; before: %v; after: %v", requests, base, r)
}
