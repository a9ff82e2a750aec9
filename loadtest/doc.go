// Package loadtest holds no code, only tests that put the real bootinfo
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
//     clients scrape; every record is accounted for as seen or lost, and
//     the agent's memory and kept-records ring stay bounded.
//   - TestSlowClients and TestMethods: a client that trickles its request
//     headers, one that never reads its responses, and every HTTP method;
//     others are served meanwhile, the agent's timeouts release the
//     connections, and its goroutines and file descriptors return to their
//     baseline.
//
// The tests build the binary once (internal/agenttest) and watch it from
// outside: /proc/PID/status, /proc/PID/fd and its own /metrics.
package loadtest
