package systemd

import (
	"fmt"
	"testing"
)

// BenchmarkPublish is what a storm pays each Coalesce interval: a new
// snapshot of every unit, with node_exporter's default exclusion, while the
// set of units and the unit file list stay the same.
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			w := New(Options{Exclude: `.+\.(automount|device|mount|scope|slice)`})
			c := &cache{units: map[string]*entry{}, files: map[string]UnitFile{}, filesListed: true}
			for i := range n {
				name := fmt.Sprintf("lab-gen-inst@%04d.target", i)
				if i%5 == 0 {
					name = fmt.Sprintf("lab-gen-%04d.service", i)
					c.files[name] = UnitFile{Name: name, Path: "/etc/systemd/system/" + name, State: "enabled"}
				}
				c.units[name] = &entry{unit: Unit{Name: name, LoadState: "loaded", ActiveState: "active", SubState: "active",
					FragmentPath: "/etc/systemd/system/" + name}, detail: true}
			}
			w.c = c
			b.ReportAllocs()
			for b.Loop() {
				w.publish()
			}
		})
	}
}
