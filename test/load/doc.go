// Package load puts the real bootinfo binary under load and asserts what
// must hold however loaded the machine: no request fails, the agent's
// resident memory and goroutines stay flat from the first window of a run
// to the last, every kernel log record is accounted for as seen or lost,
// and slow or hostile clients are let go by the agent's own timeouts while
// others are served, its goroutines and descriptors returning to their
// baseline. Latency is measured and reported, never asserted.
//
// The tests run the binary of internal/testing/agent and watch it from
// outside: its /proc entries and its own /metrics. The kernel log flood
// runs in a QEMU guest (internal/testing/qemulab), whose kernel log it may
// overwrite. The defaults are a short run; scripts/soak runs the long one
// and prints its report.
package load
