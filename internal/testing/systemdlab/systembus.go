package systemdlab

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The system bus's stock configuration and systemd's policy file for the
// manager's name on it, as the distribution installs them.
const (
	systemBusConfig = "/usr/share/dbus-1/system.conf"
	systemdPolicy   = "/usr/share/dbus-1/system.d/org.freedesktop.systemd1.conf"
)

var (
	listenRE  = regexp.MustCompile(`<listen>[^<]*</listen>`)
	pidfileRE = regexp.MustCompile(`<pidfile>[^<]*</pidfile>`)
	// includeRE matches an include or includedir element, but not the
	// SELinux one (if_selinux_enabled), which does nothing without
	// SELinux.
	includeRE = regexp.MustCompile(`<(include|includedir)((?:\s+ignore_missing="[a-z]+")?)>([^<]+)</(?:include|includedir)>`)
)

// writeSystemBusConfig writes, under dir, a copy of the system bus's stock
// configuration with only where it listens, its pid file and what it
// includes moved into dir, and beside it a policy directory holding only
// systemd's file; it returns the configuration's path. The stock policy
// stays as it is: every method call and every name is denied unless a
// policy file allows it, and the limits are dbus-daemon's built-in ones
// for the system bus (128 replies awaited per connection, among others).
func writeSystemBusConfig(dir string) (string, error) {
	stock, err := os.ReadFile(systemBusConfig)
	if err != nil {
		return "", err
	}
	policy, err := os.ReadFile(systemdPolicy)
	if err != nil {
		return "", err
	}
	conf := string(stock)
	for _, re := range []*regexp.Regexp{listenRE, pidfileRE, includeRE} {
		if !re.MatchString(conf) {
			return "", fmt.Errorf("%s has no %s to move to the lab's directory", systemBusConfig, re)
		}
	}
	conf = listenRE.ReplaceAllLiteralString(conf, "<listen>unix:path="+filepath.Join(dir, "system_bus_socket")+"</listen>")
	conf = pidfileRE.ReplaceAllLiteralString(conf, "<pidfile>"+filepath.Join(dir, "pid")+"</pidfile>")
	var bad error
	conf = includeRE.ReplaceAllStringFunc(conf, func(m string) string {
		sub := includeRE.FindStringSubmatch(m)
		tag, attrs, path := sub[1], sub[2], sub[3]
		// Relative paths are relative to the configuration file, which
		// now lives in dir; absolute ones move below it.
		local := filepath.Join(dir, strings.TrimPrefix(filepath.Clean(path), "/"))
		if !strings.HasPrefix(local, dir+"/") {
			bad = fmt.Errorf("%s includes %q, outside its directory", systemBusConfig, path)
		}
		if tag == "includedir" {
			if err := os.MkdirAll(local, 0o755); err != nil {
				bad = err
			}
		}
		return "<" + tag + attrs + ">" + local + "</" + tag + ">"
	})
	if bad != nil {
		return "", bad
	}
	policyDir := filepath.Join(dir, "system.d")
	if err := os.MkdirAll(policyDir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(policyDir, filepath.Base(systemdPolicy)), policy, 0o644); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "system.conf")
	return path, os.WriteFile(path, []byte(conf), 0o644)
}
