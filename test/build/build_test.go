package build

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

type stage struct {
	from, name string
	instrs     []string // upper-case instruction keywords, in order
	lines      []string // each instruction with its arguments, continuation lines joined
}

// parseDockerfile splits a Dockerfile into stages of instructions, joining
// backslash-continued lines and dropping comments.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		stages []stage
		cur    strings.Builder
	)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		kw := strings.ToUpper(strings.Fields(line)[0])
		if kw == "FROM" {
			f := strings.Fields(line)
			s := stage{from: f[1]}
			if len(f) >= 4 && strings.EqualFold(f[2], "AS") {
				s.name = f[3]
			}
			stages = append(stages, s)
		}
		if len(stages) == 0 {
			if kw != "ARG" {
				t.Fatalf("instruction before the first FROM: %s", line)
			}
			return
		}
		s := &stages[len(stages)-1]
		s.instrs = append(s.instrs, kw)
		s.lines = append(s.lines, line)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "#") || trimmed == "" {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// TestDockerfile checks the image recipe without a Docker engine: a Go build
// stage pinned to the toolchain go.mod names and running scripts/build, and
// a final stage from scratch holding only the binary, run as a non-root
// user with an exec-form entry point (there is no shell to run anything
// else), the port exposed and OCI labels set.
func TestDockerfile(t *testing.T) {
	root := testutil.RepoRoot(t)
	stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	if len(stages) != 2 {
		t.Fatalf("%d stages, want a build stage and a final stage", len(stages))
	}
	build, final := stages[0], stages[1]

	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	// The toolchain line if any (the release scripts/vulncheck vouches
	// for), else the go line.
	goVersion := regexp.MustCompile(`(?m)^toolchain go(\S+)$`).FindSubmatch(gomod)
	if goVersion == nil {
		goVersion = regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	}
	if goVersion == nil {
		t.Fatal("no go line in go.mod")
	}
	if want := "golang:" + string(goVersion[1]) + "-"; !strings.HasPrefix(build.from, want) {
		t.Errorf("build stage FROM %s, want the %s... image pinned to go.mod's toolchain", build.from, want)
	}
	if !regexp.MustCompile(`^golang:\d+\.\d+\.\d+-[a-z]+$`).MatchString(build.from) {
		t.Errorf("build base %s is not pinned to a full version", build.from)
	}
	if !strings.Contains(strings.Join(build.lines, "\n"), "scripts/build") {
		t.Error("the build stage does not use scripts/build, the recipe shared with builds without Docker")
	}

	if final.from != "scratch" {
		t.Errorf("final stage FROM %s, want scratch (no shell, nothing but the binary)", final.from)
	}
	var user, expose, entry string
	labels := map[string]bool{}
	for i, kw := range final.instrs {
		line := final.lines[i]
		rest := strings.TrimSpace(line[len(kw):])
		switch kw {
		case "RUN":
			t.Errorf("the final stage runs %q: there is no shell in it", line)
		case "USER":
			user = rest
		case "EXPOSE":
			expose = rest
		case "ENTRYPOINT":
			entry = rest
		case "COPY":
			if !strings.Contains(line, "--from="+build.name) {
				t.Errorf("the final stage copies from outside the build stage: %s", line)
			}
		case "LABEL":
			for _, m := range regexp.MustCompile(`(org\.opencontainers\.image\.[a-z]+)=`).FindAllStringSubmatch(rest, -1) {
				labels[m[1]] = true
			}
		}
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q: the image must not default to root", user)
	}
	if expose != "19117" {
		t.Errorf("EXPOSE %q, want the default port 19117", expose)
	}
	var argv []string
	if err := json.Unmarshal([]byte(entry), &argv); err != nil || len(argv) == 0 || argv[0] != "/bin/bootinfo" {
		t.Errorf("ENTRYPOINT %s is not the exec form of /bin/bootinfo (%v)", entry, err)
	}
	for _, l := range []string{"org.opencontainers.image.title", "org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.revision"} {
		if !labels[l] {
			t.Errorf("label %s missing", l)
		}
	}
}

// TestScriptsBuildIsStatic runs scripts/build, the image's recipe, and checks
// the result: a statically linked ELF (no program interpreter) that reports
// the version it was stamped with.
func TestScriptsBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary")
	}
	root := testutil.RepoRoot(t)
	out := filepath.Join(t.TempDir(), "bootinfo")
	cmd := exec.Command(filepath.Join(root, "scripts", "build"), out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERSION=9.8.7-test", "REVISION=abc123")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a program interpreter: it is dynamically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) != 0 {
		t.Errorf("the binary imports %v", libs)
	}
	v, err := exec.Command(out, "--version").Output()
	if err != nil || !strings.Contains(string(v), "version 9.8.7-test") || !strings.Contains(string(v), "revision: abc123") {
		t.Errorf("--version: %v\n%s", err, v)
	}
}
