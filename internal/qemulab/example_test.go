package qemulab_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/bootinfo/bootinfo/internal/qemulab"
)

// Boot a static binary under OVMF with Secure Boot on and a chosen system
// serial number, and read what it printed and the guest's firmware tables.
func ExampleLab_Boot() {
	lab, err := qemulab.Find()
	if err != nil {
		log.Fatal(err) // wraps qemulab.ErrNotSetUp: run scripts/lab-setup
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := lab.Boot(ctx, qemulab.Config{
		Firmware: qemulab.OVMFSecureBoot,
		SMBIOS:   []string{"type=1,serial=LAB-0001"},
		Files:    []qemulab.File{{Path: "/bin/agent", HostPath: "/tmp/agent"}},
		Capture:  qemulab.FirmwareCapture,
		Commands: []qemulab.Command{{Name: "show", Script: "agent show --format json\n"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", res.Outputs["show"].Stdout)
	dump, _ := res.DumpBin() // for dmidecode --from-dump
	vars := res.EFIVars()    // "SecureBoot-8be4df61-..." -> 06 00 00 00 01
	fmt.Println(len(dump), len(vars))
}
