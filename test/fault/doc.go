// Package fault proves that the real bootinfo binary holds up when its
// sources fail under it: a systemd manager that is killed, frozen or loses
// its socket, a session bus that dies, files that vanish or change under a
// running agent, a kernel log it may not read, a state directory it cannot
// write, and a user without the privileges the README's capability table
// names.
//
// Every test runs the binary of internal/testing/agent and talks to it over
// HTTP, as Prometheus would. The tests assert outcomes (every scrape
// answers, the failing collector says why, the others are served, the agent
// recovers by itself and leaks nothing); they never assert latency. An HTTP
// client timeout well above the collector deadline only turns a hung scrape
// into a readable failure.
//
// The package holds tests only. They need root (to run the systemd lab, to
// mount tmpfs and to drop to an unprivileged user); without it they skip,
// and under CI=true they fail instead.
package fault
