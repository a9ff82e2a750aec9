package sysv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// benchRoot makes a root of n init scripts of a realistic size (3 KiB, the
// header at the top) linked into every runlevel as insserv would.
func benchRoot(b *testing.B, n int) string {
	root := b.TempDir()
	files := map[string]string{}
	body := strings.Repeat("# some shell code that is not the header\n", 60)
	for i := range n {
		name := fmt.Sprintf("svc%03d", i)
		files["etc/init.d/"+name] = fmt.Sprintf("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: %s\n"+
			"# Required-Start: $remote_fs $syslog\n# Required-Stop: $remote_fs $syslog\n"+
			"# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n# Short-Description: service %d\n"+
			"# Description: service %d\n#  does things\n### END INIT INFO\n%s", name, i, i, body)
	}
	testutil.WriteTree(b, root, files)
	for i := range n {
		name := fmt.Sprintf("svc%03d", i)
		for _, rl := range Runlevels[:7] {
			k := "S"
			if rl == "0" || rl == "1" || rl == "6" {
				k = "K"
			}
			link := filepath.Join(root, "etc", "rc"+rl+".d", fmt.Sprintf("%s%02d%s", k, i%20, name))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.Symlink("../init.d/"+name, link); err != nil {
				b.Fatal(err)
			}
		}
	}
	return root
}

// BenchmarkList100 lists a root of 100 scripts and 700 links.
func BenchmarkList100(b *testing.B) {
	root := benchRoot(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		services, problems := List(root)
		if len(services) != 100 || len(problems) != 0 || len(services[99].Links) != 7 {
			b.Fatalf("%d services, problems %v", len(services), problems)
		}
	}
}
