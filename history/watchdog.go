package history

import (
	"path"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// WatchdogClass is the watchdog class directory relative to the sysfs
// root (Documentation/ABI/testing/sysfs-class-watchdog).
const WatchdogClass = "class/watchdog"

// WDIOFCardReset is the bootstatus bit that says the watchdog reset the
// machine: the boot that ended before this one was ended by it
// (WDIOF_CARDRESET, include/uapi/linux/watchdog.h).
const WDIOFCardReset = 0x0020

// maxWatchdogs bounds the devices read.
const maxWatchdogs = 64

// WatchdogStatus is one watchdog device's status at this boot.
type WatchdogStatus struct {
	// Device is the class device name, "watchdog0".
	Device string `json:"device"`
	// Identity is the driver's name for the device ("i6300ESB timer").
	Identity string `json:"identity,omitempty"`
	// BootStatus is the bootstatus file's value: the WDIOF_* flags the
	// driver found at probe time.
	BootStatus uint64 `json:"bootstatus"`
}

// CardReset says whether the device reset the machine before this boot.
func (w WatchdogStatus) CardReset() bool { return w.BootStatus&WDIOFCardReset != 0 }

// ReadWatchdogs reads the bootstatus of every watchdog device under the
// sysfs root (WatchdogClass below it), bounded and resolved inside it. A
// device without a readable bootstatus (a kernel without
// CONFIG_WATCHDOG_SYSFS) is left out; no watchdog class is no device.
func ReadWatchdogs(sysfs hostfile.Root) []WatchdogStatus {
	ents, err := sysfs.ReadDir(WatchdogClass)
	if err != nil {
		return nil
	}
	var out []WatchdogStatus
	for _, e := range ents {
		if len(out) == maxWatchdogs {
			break
		}
		if !strings.HasPrefix(e.Name(), "watchdog") {
			continue
		}
		dir := path.Join(WatchdogClass, e.Name())
		s, err := sysfs.ReadString(path.Join(dir, "bootstatus"))
		if err != nil {
			continue
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			continue
		}
		id, _ := sysfs.ReadString(path.Join(dir, "identity"))
		out = append(out, WatchdogStatus{Device: e.Name(), Identity: cutUTF8(id, maxKindBytes), BootStatus: v})
	}
	return out
}
