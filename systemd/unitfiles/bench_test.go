package unitfiles

import (
	"fmt"
	"testing"
)

// hostLike returns a root of n unit files shaped like a host's: most
// static, a third with an [Install] section, a tenth of those enabled by
// a link in /etc, some aliases, templates with enabled instances, and a
// few masks and drop-ins.
func hostLike(n int) map[string]string {
	m := map[string]string{usr + "multi-user.target": "[Unit]\n"}
	for i := range n {
		name := fmt.Sprintf("unit-%05d.service", i)
		body := "[Unit]\nDescription=Unit " + name + "\n\n[Service]\nExecStart=/bin/true\n"
		switch {
		case i%20 == 0:
			name = fmt.Sprintf("tmpl-%05d@.service", i)
			m[usr+name] = body + "\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=a\n"
			m[etc+wnt+fmt.Sprintf("tmpl-%05d@a.service", i)] = "->/usr/lib/systemd/system/" + name
		case i%3 == 0:
			m[usr+name] = body + "\n[Install]\nWantedBy=multi-user.target\n"
			if i%30 == 0 {
				m[etc+wnt+name] = "->/usr/lib/systemd/system/" + name
			}
		case i%50 == 1:
			m[usr+name] = body + "\n[Install]\nAlias=" + fmt.Sprintf("alias-%05d.service", i) + "\n"
			m[etc+fmt.Sprintf("alias-%05d.service", i)] = "->/usr/lib/systemd/system/" + name
		case i%100 == 2:
			m[usr+name] = body
			m[etc+name] = "->/dev/null"
		case i%100 == 4:
			m[usr+name] = body
			m[usr+name+".d/install.conf"] = "[Install]\nWantedBy=multi-user.target\n"
		default:
			m[usr+name] = body
		}
	}
	return m
}

// BenchmarkList lists roots of 1,000 and 5,000 unit files. The manager's
// own ListUnitFiles took 2.4 s of its CPU for a host's 1,049.
func BenchmarkList(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			root := b.TempDir()
			tree(b, root, hostLike(n))
			files, problems := List(root, SystemPaths())
			if len(problems) != 0 || len(files) < n {
				b.Fatalf("%d files, problems %v", len(files), problems)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				List(root, SystemPaths())
			}
		})
	}
}
