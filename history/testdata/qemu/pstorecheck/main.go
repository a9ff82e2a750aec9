// Command pstorecheck runs inside a QEMU guest (see ../capture.sh): it
// prints what the history package reads from the guest's pstore, and each
// record's raw bytes and modification time, so that the host can keep the
// records as fixtures and compare.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bootinfo/bootinfo/history"
)

func main() {
	dir := history.PstoreDir("/sys")
	recs, err := history.ReadPstore(dir)
	out := struct {
		Records []history.PstoreRecord `json:"records"`
		Err     string                 `json:"error,omitempty"`
		End     history.End            `json:"end_without_history"`
	}{Records: recs, End: history.JudgeEnd(nil, recs, err)}
	if err != nil {
		out.Err = err.Error()
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Printf("=== PSTORECHECK JSON\n%s\n=== END JSON\n", b)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Printf("=== FILE %s ERROR %v\n", e.Name(), err)
			continue
		}
		fmt.Printf("=== FILE %s %s\n%s\n=== END FILE\n", e.Name(), fi.ModTime().UTC().Format(time.RFC3339Nano),
			base64.StdEncoding.EncodeToString(data))
	}
}
