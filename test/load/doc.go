// Package load holds no code, only tests that put the real bootinfo
// binary under load for issue #8 ("Prove it holds"):
//
//   - TestSoak: many concurrent clients scrape /metrics and /bootinfo with
//     every collector on (systemd against a systemd lab manager with
//     generated units, kmsg on the machine's /dev/kmsg, the rest on a fixture
//     host tree); no request may fail, and the agent's resident memory and
//     goroutine count must stay flat from the first window of the run to the
//     last. Latency is measured and reported, never asserted. Its -soak.*
//     flags size the run; scripts/soak runs the full 60 s version and prints
//     the report.
//   - TestKmsgFlood: records written to /dev/kmsg in a bounded loop while
//     clients scrape, then, with the agent stopped, enough to overrun the
//     kernel's ring; every record is accounted for as seen or lost, the lost
//     count matches the kernel's sequence gap, and the agent's memory and
//     kept-records ring stay bounded. It runs the agent in a QEMU guest
//     (internal/testing/qemulab) so as not to wipe the host's kernel log.
//   - TestSlowClients and TestMethods: clients that trickle their request
//     headers or body, or never read their responses, and every HTTP
//     method; others are served meanwhile, the agent's own timeouts release
//     the connections, and its goroutines and file descriptors return to
//     their baseline.
//
// The tests build the binary once (internal/testing/agent) and watch it from
// outside: /proc/PID/status, /proc/PID/fd and its own /metrics.
package load
