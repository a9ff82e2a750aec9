// Package fault proves that the real bootinfo binary holds up under
// faults (issue #8, "Prove it holds"): a systemd manager that is killed,
// frozen or loses its socket, a session bus that dies, files that vanish or
// change under a running agent, a kernel log it may not read, a state
// directory it cannot write, and a user without the privileges the README's
// capability table names.
//
// Every test runs the binary that agent.Main builds and talks to it over
// HTTP, as Prometheus would. The tests assert outcomes (every scrape
// answers, the failing collector says why, the others are served, the agent
// recovers by itself and leaks nothing); they never assert latency. An HTTP
// client timeout well above the collector deadline only turns a hung scrape
// into a readable failure.
//
// The tests:
//
//   - TestSystemdFaults: manager SIGKILL and restart, SIGSTOP and SIGCONT,
//     private socket removed, session bus killed (three times), against
//     one agent on the private socket and one on the bus.
//   - TestFilesChangeUnderScrapes, TestFilesBrokenAtStart: every fixture
//     file removed, emptied, halved, overwritten, made a directory.
//   - TestKmsgUnreadable, TestNoEFI, TestStateDirUnwritable,
//     TestStateDirFailsWhileRunning: degraded sources.
//   - TestNonRoot: the README's privilege table, as nobody with no
//     capability, with CAP_SYSLOG and with CAP_DAC_READ_SEARCH.
//   - TestInvalidUTF8HostFields, TestFieldFaultsLogged: agent defects,
//     skipped with "bug:" until fixed.
//
// The package holds tests only. They need root (to run the systemd lab, to
// mount tmpfs and to drop to an unprivileged user); without it they skip,
// and under CI=true they fail instead.
package fault
