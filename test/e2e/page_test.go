package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// browser is Debian's headless Chromium, run as a test runs it: as root
// without its sandbox, with a profile of its own.
type browser struct {
	t    *testing.T
	bin  string
	args []string
}

func newBrowser(t *testing.T) *browser {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		testutil.SkipOrFail(t, "no chromium (scripts/test installs Debian's): %v", err)
	}
	return &browser{t: t, bin: bin, args: []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--hide-scrollbars", "--ignore-certificate-errors"}}
}

func (b *browser) run(args ...string) []byte {
	b.t.Helper()
	cmd := exec.CommandContext(testutil.Context(b.t), b.bin, append(append([]string{}, b.args...), args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// pageArtifacts is where the screenshots stay: below the firmware lab's
// artifacts directory when one is set (CI keeps it), else in the test's
// temporary directory.
func pageArtifacts(t *testing.T, name string) string {
	dir := t.TempDir()
	if base := os.Getenv(qemulab.EnvArtifacts); base != "" {
		dir = filepath.Join(base, "page", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var tagsRE = regexp.MustCompile(`<[^>]*>`)

// TestEndToEndPageInChromium loads / of a running agent in headless
// Chromium, without and with a systemd lab (whose failing unit the page
// must show as failed), the second over TLS with basic auth: the page's
// text, as the browser built its DOM, holds the host, every stage and the
// links; it runs no script; and screenshots at desktop and phone widths
// are kept as PNGs of those sizes, with something drawn on them.
func TestEndToEndPageInChromium(t *testing.T) {
	br := newBrowser(t)
	for _, withLab := range []bool{false, true} {
		name := "fixture"
		if withLab {
			name = "systemd-lab"
		}
		t.Run(name, func(t *testing.T) {
			root := agent.FixtureRoot(t)
			o := agent.Options{Args: agent.FixtureArgs(root)}
			user := ""
			if withLab {
				lab := systemdlab.Start(t, systemdlab.Options{
					Units: 8,
					Files: map[string]string{
						"web.service":    "[Unit]\nDescription=lab web\n[Service]\nExecStart=/bin/sleep infinity\n",
						"broken.service": "[Unit]\nDescription=fails <at> start & says so\n[Service]\nExecStart=/bin/false\n",
					},
					Wants: []string{"web.service", "broken.service"},
				})
				cfg, pool := tlsWebConfig(t, "viewer", "s3cret")
				o = agent.Options{
					Args: agent.FixtureArgs(root, "--collector.systemd", "--collector.systemd.user",
						"--collector.systemd.address="+lab.PrivateAddress(), "--web.config.file="+cfg),
					TLS: &tls.Config{RootCAs: pool},
				}
				user = "viewer:s3cret@"
			}
			a := agent.StartWith(t, o)
			if withLab {
				// The units' timings come with their detail, which the
				// agent reads after it starts serving.
				testutil.WaitFor(t, "the units' detail", func() error {
					req, _ := http.NewRequest("GET", a.Base+"/bootinfo/systemd", nil)
					req.SetBasicAuth("viewer", "s3cret")
					resp, err := a.Client.Do(req)
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					var sec struct {
						DetailComplete bool              `json:"detail_complete"`
						Blame          []json.RawMessage `json:"blame"`
					}
					if err := json.NewDecoder(resp.Body).Decode(&sec); err != nil {
						return err
					}
					if !sec.DetailComplete || len(sec.Blame) == 0 {
						return fmt.Errorf("detail_complete %v, %d units in blame", sec.DetailComplete, len(sec.Blame))
					}
					return nil
				}, a.Process)
			}
			url := strings.Replace(a.Base, "://", "://"+user, 1) + "/"
			dom := string(br.run("--dump-dom", url))
			body := dom[strings.Index(dom, "</style>"):]
			text := strings.Join(strings.Fields(tagsRE.ReplaceAllString(body, " ")), " ")
			t.Logf("page text: %s", text)
			want := []string{"node-a17", "Firmware", "UEFI 64-bit", "Hardware", "QEMU Standard PC (Q35 + ICH9, 2009)",
				"Boot loader", "Kernel", "6.1.0-27-amd64", "Init", "History", "Metrics", "Boot document", "Health"}
			if withLab {
				want = append(want, "Warnings", "broken.service: exit-code, status 1", "user manager", "Slowest")
			} else {
				// The fixture's PID 1, and no manager to draw units from.
				want = append(want, "PID 1 systemd", "no service manager data")
			}
			want = append(want, "Boot timeline")
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("the page does not say %q", w)
				}
			}
			if !strings.Contains(dom, "<svg") {
				t.Error("the page has no boot timeline picture")
			}
			for _, href := range []string{`href="metrics"`, `href="bootinfo?pretty"`, `href="healthz"`, `href="bootinfo/firmware?pretty"`, `href="bootinfo/plot.svg"`} {
				if !strings.Contains(dom, href) {
					t.Errorf("the page does not link %s", href)
				}
			}
			if strings.Contains(strings.ToLower(dom), "<script") {
				t.Error("the page has a script")
			}

			dir := pageArtifacts(t, name)
			for _, size := range []struct {
				name string
				w, h int
			}{{"desktop", 1280, 1600}, {"phone", 390, 2400}} {
				path := filepath.Join(dir, size.name+".png")
				br.run(fmt.Sprintf("--window-size=%d,%d", size.w, size.h), "--screenshot="+path, url)
				checkScreenshot(t, path, size.w, size.h)
				t.Logf("screenshot: %s", path)
			}
		})
	}
}

// checkScreenshot fails unless path is a w×h PNG with more than a few
// colours (text and the stages' coloured bars, not a blank or error page
// in one colour).
func checkScreenshot(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b != image.Rect(0, 0, w, h) {
		t.Errorf("%s is %v, want %dx%d", path, b, w, h)
	}
	colours := map[[4]uint32]bool{}
	for y := 0; y < h; y += 3 {
		for x := 0; x < w; x += 3 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colours) < 16 {
		t.Errorf("%s has %d colours: blank?", path, len(colours))
	}
}
