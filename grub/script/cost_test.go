package script

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// The shapes of scripts whose cost the issue measured (issue 13, item 4).

// bigSet is one set command with n assignments.
func bigSet(n int) string {
	var b strings.Builder
	b.WriteString("set")
	for i := 0; i < n; i++ {
		b.WriteString(" a" + strconv.Itoa(i) + "=x")
	}
	b.WriteString("\n")
	return b.String()
}

// nestedIfElse is depth nested undecided ifs, each of whose bodies first
// runs perLevel, around blocks undecided if/else blocks that assign.
func nestedIfElse(depth int, perLevel string, blocks int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteString("if [ $root = x" + strconv.Itoa(i) + " ]; then\n" + perLevel)
	}
	for i := 0; i < blocks; i++ {
		b.WriteString("if [ $root = y ]; then set b=1; else set b=2; fi\n")
	}
	for i := 0; i < depth; i++ {
		b.WriteString("fi\n")
	}
	return b.String()
}

// issueScript is the issue's reproduction: one set with 200,000
// assignments, then 16 nested undecided ifs around 3,000 if/else blocks,
// about 2 MB.
func issueScript() []byte { return []byte(bigSet(200000) + nestedIfElse(16, "", 3000)) }

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	fn()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// runAll runs src with opts and its menu, and returns the run.
func runAll(src []byte, opts Options) *Run {
	r := Start(src, opts)
	r.Menu()
	return r
}

// TestIssueScriptBounded runs the issue's 2 MB script, which kept 1.4
// cores busy for minutes: it must end with a result or ErrTooComplex naming
// the limit it reached, having allocated no more than 1.5 times the memory
// budget (48 MiB). The old evaluator copied every variable into every
// undecided branch nested 16 deep: billions of map insertions.
func TestIssueScriptBounded(t *testing.T) {
	src := issueScript()
	var r *Run
	n := allocated(func() { r = runAll(src, Options{}) })
	err := r.Err()
	t.Logf("%d bytes of script: %v; %d bytes allocated", len(src), err, n)
	if err != nil && (!errors.Is(err, ErrTooComplex) || !strings.Contains(err.Error(), "limit")) {
		t.Errorf("error %v, want a result or ErrTooComplex naming a limit", err)
	}
	if n > 72<<20 {
		t.Errorf("%d bytes allocated, want at most 72 MiB", n)
	}
}

// TestUndecidedBranchesBounded is the issue's shape with fewer variables,
// so that the memory budget does not stop it first: 20,000 variables, 16
// nested undecided ifs, 3,000 if/else blocks. An undecided branch must not
// copy the variables it does not write; the old evaluator flattened all
// 20,000 into each of the 6,000 branches, allocating gigabytes.
func TestUndecidedBranchesBounded(t *testing.T) {
	src := []byte(bigSet(20000) + nestedIfElse(16, "", 3000))
	var r *Run
	n := allocated(func() { r = runAll(src, Options{}) })
	t.Logf("%v; %d bytes allocated", r.Err(), n)
	if err := r.Err(); err != nil {
		t.Errorf("error %v, want none", err)
	}
	if v, ok := r.Var("b"); !ok || v.Known {
		t.Errorf("b = %+v, want unknown", v)
	}
	if v, ok := r.Var("a19999"); !ok || !v.Known || v.Text != "x" {
		t.Errorf("a19999 = %+v", v)
	}
	if n > 32<<20 {
		t.Errorf("%d bytes allocated, want at most 32 MiB", n)
	}
}

// TestCopyingBranchesCostWhatTheyCopy: when the nested undecided branches
// do write many variables, each branch below them copies those writes as
// its scope is collapsed; the copies are steps (16,000 for each of 6,000
// branches: 96 million), so the run stops at the step limit instead of
// running on. Under the default budget the copies' memory stops it first.
func TestCopyingBranchesCostWhatTheyCopy(t *testing.T) {
	src := []byte(nestedIfElse(16, bigSet(1000), 3000))
	r := runAll(src, Options{Budget: Budget{Memory: 1 << 40}})
	var le *LimitError
	if !errors.As(r.Err(), &le) || le.Limit != LimitSteps || le.Value != DefaultBudget.Steps {
		t.Fatalf("error %v, want the steps limit", r.Err())
	}
	if s := r.Spent(); s.Steps > DefaultBudget.Steps {
		t.Errorf("spent %d steps", s.Steps)
	}
	if want := "grub script: too complex: the steps limit (1048576) was reached"; le.Error() != want {
		t.Errorf("message %q, want %q", le.Error(), want)
	}

	n := allocated(func() { r = runAll(src, Options{}) })
	if !errors.As(r.Err(), &le) {
		t.Fatalf("default budget: error %v, want a limit", r.Err())
	}
	t.Logf("default budget: %v, %d bytes allocated", r.Err(), n)
	if n > 72<<20 {
		t.Errorf("%d bytes allocated, want at most 72 MiB", n)
	}
}

// TestSetCostsEachAssignment: one set with 200,000 assignments costs
// 200,000 steps, not one.
func TestSetCostsEachAssignment(t *testing.T) {
	src := []byte(bigSet(200000))
	big := int64(1 << 30)
	r := runAll(src, Options{Budget: Budget{Steps: 150000, Memory: big}})
	var le *LimitError
	if !errors.As(r.Err(), &le) || le.Limit != LimitSteps || le.Value != 150000 {
		t.Errorf("150,000 steps: error %v, want the steps limit", r.Err())
	}
	r = runAll(src, Options{Budget: Budget{Steps: 300000, Memory: big}})
	if r.Err() != nil {
		t.Fatalf("300,000 steps: %v", r.Err())
	}
	if s := r.Spent().Steps; s < 200000 || s > 200010 {
		t.Errorf("spent %d steps, want 200,000 and the command", s)
	}
	if v, _ := r.Var("a199999"); v.Text != "x" {
		t.Errorf("a199999 = %+v", v)
	}
}

// TestMemoryBudgetBoundsAllocation checks, for shapes that make the syntax
// tree large against the input, that what a run allocates stays within a
// small factor of its memory estimate, and so of the budget. "x\n"
// repeated is the worst: a whole command node for two bytes.
func TestMemoryBudgetBoundsAllocation(t *testing.T) {
	shapes := map[string]string{
		"short commands": strings.Repeat("x\n", 1<<20),
		"long set":       bigSet(300000),
		"many parts":     "echo " + strings.Repeat("a$b", 1<<19) + "\n",
		"if else":        nestedIfElse(0, "", 60000),
		"menu entries":   strings.Repeat("menuentry a { linux /k $x }\n", 60000),
		"braces":         strings.Repeat("x { y }\n", 200000),
	}
	budget := Budget{Memory: 8 << 20}
	for name, src := range shapes {
		var r *Run
		n := allocated(func() { r = runAll([]byte(src), Options{Budget: budget}) })
		var le *LimitError
		if !errors.As(r.Err(), &le) || le.Limit != LimitMemory {
			t.Errorf("%s: %v, want the memory limit", name, r.Err())
		}
		t.Logf("%s: %d bytes of script, %d allocated, %d estimated", name, len(src), n, r.Spent().Memory)
		if n > 3*uint64(budget.Memory)/2 {
			t.Errorf("%s: %d bytes allocated for a budget of %d", name, n, budget.Memory)
		}
	}
}

// TestSourceBounded: two files that source each other, each large. The old
// evaluator parsed each anew, up to 16 deep (two 4 MB files: 3.7 GB).
func TestSourceBounded(t *testing.T) {
	files := map[string][]byte{
		"/a.cfg": []byte(strings.Repeat("set v=1\n", 1<<19) + "source /b.cfg\n"),
		"/b.cfg": []byte(strings.Repeat("set w=2\n", 1<<19) + "source /a.cfg\n"),
	}
	read := func(p string, limit int64) ([]byte, error) {
		b := files[p]
		if int64(len(b)) > limit {
			return nil, ErrTooComplex
		}
		return b, nil
	}
	var r *Run
	n := allocated(func() { r = runAll([]byte("source /a.cfg\n"), Options{ReadFile: read}) })
	if !errors.Is(r.Err(), ErrTooComplex) {
		t.Errorf("error %v", r.Err())
	}
	t.Logf("%v: %d bytes allocated, spent %+v", r.Err(), n, r.Spent())
	if n > 72<<20 {
		t.Errorf("%d bytes allocated", n)
	}

	// Small files: the depth bound, then the number of files, then the
	// bytes.
	small := func(src string) func(string, int64) ([]byte, error) {
		return func(p string, limit int64) ([]byte, error) {
			if int64(len(src)) > limit {
				return nil, ErrTooComplex
			}
			return []byte(src), nil
		}
	}
	for _, tt := range []struct {
		name, src, file string
		budget          Budget
		limit           string
		value           int64
	}{
		{"depth", "source /x\n", "source /x\n", Budget{}, LimitSourceDepth, 8},
		{"files", "source /x\nsource /x\nsource /x\nsource /x\n", "set a=1\n", Budget{SourceFiles: 3}, LimitSourceFiles, 3},
		{"bytes", "source /x\nsource /x\n", strings.Repeat("#", 600) + "\n", Budget{SourcedBytes: 1000}, LimitSourcedBytes, 1000},
	} {
		r := runAll([]byte(tt.src), Options{ReadFile: small(tt.file), Budget: tt.budget})
		var le *LimitError
		if !errors.As(r.Err(), &le) || le.Limit != tt.limit || le.Value != tt.value {
			t.Errorf("%s: %v, want the %s limit %d", tt.name, r.Err(), tt.limit, tt.value)
		}
	}
}

// TestContextStopsRun: a run whose context is done stops within a few
// hundred steps, and says why.
func TestContextStopsRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runAll([]byte(strings.Repeat("set a=1\n", 100000)), Options{Context: ctx})
	var le *LimitError
	if !errors.As(r.Err(), &le) || le.Limit != LimitContext || !errors.Is(r.Err(), context.Canceled) || !errors.Is(r.Err(), ErrTooComplex) {
		t.Fatalf("error %v", r.Err())
	}
	if s := r.Spent().Steps; s > 1024 {
		t.Errorf("%d steps after the context was cancelled", s)
	}
	if !strings.Contains(r.Err().Error(), "context canceled") {
		t.Errorf("message %q", r.Err())
	}
}
