// Package unitfiles computes unit file enablement states from the files on
// disk, as systemd 252's install logic (src/shared/install.c) does for
// `systemctl --root=DIR list-unit-files` and for the manager's
// org.freedesktop.systemd1.Manager.ListUnitFiles method.
//
// The manager answers ListUnitFiles by resolving every unit file against
// every directory of its search path, rescanning the .wants and .requires
// directories once per unit; on a host with a thousand unit files that
// costs seconds of the manager's time, during which it serves nothing else.
// List reads each directory of the search path once, indexes its links, and
// then decides each unit's state from the index.
//
// The search path and the role of each of its directories (persistent and
// runtime configuration, control, transient, generator output, vendor
// directories) follow "Unit File Load Path" in systemd.unit(5); the states
// are those systemctl(1) documents for is-enabled: enabled, enabled-runtime,
// linked, linked-runtime, alias, masked, masked-runtime, static, indirect,
// disabled, generated, transient and bad.
//
// Everything is read inside a root directory, as a rescue-mounted root or a
// container with the host's / mounted elsewhere presents it: symbolic links
// are resolved inside the root (a link to /x means root/x), only regular
// files are read, and every read and listing is bounded. The package imports
// neither D-Bus nor Prometheus.
package unitfiles
