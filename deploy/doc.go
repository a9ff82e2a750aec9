// Package deploy holds bootinfo's deployment artefacts and the tests that
// keep them honest: the Kubernetes manifests (kubernetes/), the systemd unit
// (systemd/), the Prometheus scrape configuration, alert rules and their unit
// tests (prometheus/), the Grafana dashboard (grafana/) and the metric names
// contract they are checked against (metrics.txt).
//
// There is no Go API here. The tests decode every manifest strictly into the
// Kubernetes API types and check the DaemonSet's security invariants, run
// kubectl kustomize, systemd-analyze, promtool and a real Prometheus against
// a real bootinfo, and check that every metric a rule or panel queries is one
// bootinfo exports.
package deploy
