// Command probe is a tiny static program that the qemulab tests boot in place
// of the real agent: it prints a few kernel and firmware facts as JSON.
package main

import (
	"encoding/json"
	"os"
	"strings"
)

func read(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func main() {
	_, efiErr := os.Stat("/sys/firmware/efi")
	facts := map[string]any{
		"kernel_release":   read("/proc/sys/kernel/osrelease"),
		"cmdline":          read("/proc/cmdline"),
		"boot_id":          read("/proc/sys/kernel/random/boot_id"),
		"efi":              efiErr == nil,
		"fw_platform_size": read("/sys/firmware/efi/fw_platform_size"),
		"sys_vendor":       read("/sys/class/dmi/id/sys_vendor"),
		"product_serial":   read("/sys/class/dmi/id/product_serial"),
		"args":             os.Args[1:],
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(facts); err != nil {
		os.Exit(1)
	}
}
