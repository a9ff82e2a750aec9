package bootdisk_test

import (
	"fmt"
	"os"

	"github.com/bootinfo/bootinfo/bootdisk"
)

// Decode the partition table sfdisk wrote into testdata/gpt-512.img.
func ExampleParseTable() {
	b, err := os.ReadFile("testdata/gpt-512.img")
	if err != nil {
		panic(err)
	}
	t, err := bootdisk.ParseTable(b, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Type, t.ID(), t.SectorSize)
	for _, p := range t.Partitions {
		fmt.Printf("%d %q (%s): %d bytes at %d, esp=%v\n", p.Number, p.Name, p.TypeName, p.Size, p.Start, p.ESP)
	}
	// Output:
	// gpt 6c1b0a7e-52f8-4c5e-8d0b-7a1e3f9c2d41 512
	// 1 "EFI System Partition" (EFI System): 32768 bytes at 17408, esp=true
	// 2 "XBOOTLDR" (Linux extended boot): 20480 bytes at 50176, esp=false
	// 3 "root ☃" (Linux root (x86-64)): 51200 bytes at 70656, esp=false
}
