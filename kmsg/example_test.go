package kmsg_test

import (
	"fmt"
	"strings"

	"github.com/bootinfo/bootinfo/kmsg"
)

// A capture as `cat /dev/kmsg` writes it: the summary counts the kernel's
// OOM kill but not the look-alike that user space (facility user) wrote.
func ExampleSummary() {
	capture := `5,0,0,-;Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2
6,1,0,-;Command line: console=ttyS0 initrd=\x5cinitrd.gz
6,2,1686125,-;Run /init as init process
3,3,9000000,-;Out of memory: Killed process 812 (stress) total-vm:1052804kB, anon-rss:920000kB, file-rss:0kB, shmem-rss:0kB
11,5,9100000,-;Out of memory: Killed process 1 (fake) total-vm:1kB
6,6,9200000,-;usb 3-3: New USB device found, idVendor=1a40, idProduct=0101
 SUBSYSTEM=usb
 DEVICE=c189:257
`
	s := kmsg.NewSummary()
	ring := kmsg.NewRing(100)
	c := kmsg.NewCaptureReader(strings.NewReader(capture))
	for r, err := range c.All() {
		if err != nil {
			fmt.Println(err)
			continue
		}
		s.Add(r)
		ring.Add(r)
	}
	snap := s.Snapshot()
	ms := snap.Milestones
	fmt.Println("format:", c.Format())
	fmt.Println("kernel:", ms.KernelVersion)
	fmt.Println("cmdline:", ms.CommandLineText)
	fmt.Printf("init %s at %.6fs\n", ms.InitPath, ms.InitHandoff.Seconds)
	fmt.Println("records:", snap.RecordsSeen, "lost:", snap.RecordsLost)
	oom := snap.Problems[kmsg.ProblemOOMKill]
	fmt.Printf("oom kills: %d, last at %.6fs\n", oom.Count, oom.Last.Seconds)
	err := kmsg.LevelErr
	for _, r := range ring.Query(kmsg.Query{MaxLevel: &err}) {
		fmt.Println(r.Facility, r.Level, r.Message[:29])
	}
	last := ring.Query(kmsg.Query{Limit: 1})[0]
	fmt.Println(last.Dict["SUBSYSTEM"], last.Dict["DEVICE"])
	// Output:
	// format: newline
	// kernel: 6.1.0-56-amd64
	// cmdline: console=ttyS0 initrd=\initrd.gz
	// init /init at 1.686125s
	// records: 6 lost: 1
	// oom kills: 1, last at 9.000000s
	// kern err Out of memory: Killed process
	// user err Out of memory: Killed process
	// usb c189:257
}
