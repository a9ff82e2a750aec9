package main

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strings"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/systemd"
)

// Bounds of the numeric flags, checked at start (validate).
const (
	// maxTimeout bounds --collector.timeout and --collector.systemd.timeout:
	// Prometheus's scrape timeouts are seconds; an hour-long deadline is a
	// typo, and the server's write timeout is derived from it.
	maxTimeout = 10 * time.Minute
	// maxRecordsKept bounds --collector.kmsg.records-kept: see
	// collectors.MaxKmsgKeep for its cost.
	maxRecordsKept = collectors.MaxKmsgKeep
	// maxKeepBoots bounds --state.keep-boots: a year of daily reboots, and
	// more than anyone compares by hand.
	maxKeepBoots = 1000
	// maxNFDInterval bounds --nfd.interval: labels a day stale are not
	// worth writing.
	maxNFDInterval = 24 * time.Hour
	// maxCallRate bounds --collector.systemd.max-calls-per-second: more
	// than the manager answers, so no pacing at all.
	maxCallRate = 1000000
)

// reservedPaths are the agent's own endpoints, which --web.telemetry-path
// must not shadow.
var reservedPaths = []string{"/", "/healthz", "/bootinfo"}

// validate checks every numeric, duration and path flag before anything
// runs: a value out of range is refused with the flag's name, never
// replaced by a default or left to panic deep inside. serving adds the
// checks of serve's own flags.
func validate(o options, sf serveFlags, serving bool) error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(o.timeout > 0 && o.timeout <= maxTimeout, "--collector.timeout must be above 0 and at most %s, got %s", maxTimeout, o.timeout)
	cc := o.collectorConfig
	check(cc.Systemd.Timeout > 0 && cc.Systemd.Timeout <= maxTimeout, "--collector.systemd.timeout must be above 0 and at most %s, got %s", maxTimeout, cc.Systemd.Timeout)
	check(cc.Systemd.CallRate >= 1 && cc.Systemd.CallRate <= maxCallRate, "--collector.systemd.max-calls-per-second must be from 1 to %d, got %d", maxCallRate, cc.Systemd.CallRate)
	check(cc.Firmware.Refresh >= 0, "--collector.firmware.refresh must be 0 (read once) or more, got %s", cc.Firmware.Refresh)
	check(cc.Kmsg.Keep >= 1 && cc.Kmsg.Keep <= maxRecordsKept, "--collector.kmsg.records-kept must be from 1 to %d, got %d", maxRecordsKept, cc.Kmsg.Keep)
	check(cc.History.Keep >= 1 && cc.History.Keep <= maxKeepBoots, "--state.keep-boots must be from 1 to %d, got %d", maxKeepBoots, cc.History.Keep)
	for _, p := range []struct{ flag, value string }{
		{"--path.rootfs", o.paths.RootFS}, {"--path.sysfs", o.paths.SysFS}, {"--path.procfs", o.paths.ProcFS},
		{"--path.dev", o.paths.DevFS}, {"--path.boot", o.paths.Boot}, {"--state.dir", cc.History.Dir},
	} {
		check(p.value != "", "%s must not be empty", p.flag)
		check(!strings.ContainsRune(p.value, 0), "%s must not contain a NUL byte", p.flag)
	}
	intervalOK := o.nfd.interval > 0 && o.nfd.interval <= maxNFDInterval
	check(intervalOK, "--nfd.interval must be above 0 and at most %s, got %s", maxNFDInterval, o.nfd.interval)
	// The file is rewritten at the first update past half the expiry,
	// which must come before the expiry itself.
	check(o.nfd.expiry == 0 || intervalOK && o.nfd.expiry >= 2*o.nfd.interval || !intervalOK && o.nfd.expiry > 0, "--nfd.expiry must be 0 (for ever) or at least twice --nfd.interval (%s), got %s", o.nfd.interval, o.nfd.expiry)
	check(!strings.ContainsRune(o.nfd.dir, 0), "--nfd.features-dir must not contain a NUL byte")
	if _, err := systemd.NewFilter(cc.Systemd.Include, cc.Systemd.Exclude); err != nil {
		errs = append(errs, fmt.Errorf("--collector.systemd.unit-include/--collector.systemd.unit-exclude: %w", err))
	}
	if err := checkPlotFlags(o.plotUnits); err != nil {
		errs = append(errs, err)
	}
	if serving {
		if err := checkTelemetryPath(sf.telemetryPath); err != nil {
			errs = append(errs, err)
		}
		check(sf.maxRequests >= 0, "--web.max-requests must be 0 (no limit) or more, got %d", sf.maxRequests)
		if sf.healthAddress != "" {
			if _, _, err := net.SplitHostPort(sf.healthAddress); err != nil {
				errs = append(errs, fmt.Errorf("--web.health-address %q: %w", sf.healthAddress, err))
			}
			if sf.web != nil && sf.web.WebListenAddresses != nil {
				for _, a := range *sf.web.WebListenAddresses {
					check(a != sf.healthAddress, "--web.health-address %q is also a --web.listen-address; give it a port of its own", sf.healthAddress)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// checkTelemetryPath refuses a --web.telemetry-path the mux cannot route
// (it would panic), or that would shadow another endpoint: it must be an
// absolute, clean path of URL path characters, not /, /healthz, /bootinfo
// or below it.
func checkTelemetryPath(p string) error {
	bad := func(why string) error { return fmt.Errorf("--web.telemetry-path %q %s", p, why) }
	if !strings.HasPrefix(p, "/") {
		return bad("must start with /")
	}
	for _, r := range p {
		// RFC 3986 path characters, without "%" (the mux matches decoded
		// paths) and without "{}" (mux wildcards).
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/-._~!$&'()*+,;=:@", r)) {
			return bad(fmt.Sprintf("holds %q; use letters, digits and -._~!$&'()*+,;=:@ between slashes", r))
		}
	}
	trimmed := strings.TrimSuffix(p, "/")
	if trimmed == "" {
		trimmed = "/"
	}
	if path.Clean(p) != trimmed {
		return bad(fmt.Sprintf("is not a clean path (%s)", path.Clean(p)))
	}
	for _, r := range reservedPaths {
		if trimmed == r {
			return bad("is taken by another endpoint")
		}
	}
	if strings.HasPrefix(trimmed, "/bootinfo/") {
		return bad("is below /bootinfo, where the sections are")
	}
	return nil
}
