package script

import (
	"context"
	"strconv"
	"unsafe"
)

// Budget bounds what one run may spend: the work of evaluating, the bytes
// its expansions produce, the memory its syntax trees and variables hold,
// and how deep and how much it sources. A zero field means the default's.
//
// The units are counted where the work is done, so that no input makes a
// step cost more than a bounded amount of time or memory:
//   - Steps: one per command run, per variable created, assigned, copied
//     or merged (one "set" with 200,000 assignments costs 200,000; running
//     an undecided branch costs what it copies), per menu item, per
//     defined function's assignment.
//   - Bytes: every byte an expansion produces, plus one per field.
//   - Memory: an estimate of what the syntax trees (of grub.cfg, of every
//     sourced file and of BLS entry bodies) and the variables hold, from
//     the sizes of the structures built; the real allocation is within a
//     small factor of it (see TestParseMemoryBounded).
type Budget struct {
	Steps        int64
	Bytes        int64
	Memory       int64
	SourceDepth  int
	SourceFiles  int
	SourcedBytes int64
}

// DefaultBudget is what a run may spend when Options.Budget leaves a field
// zero. The largest real grub.cfg of the shared corpus (Debian 9, 13 KB)
// takes about 600 steps and 350 KiB of memory; 1 MB of grub-mkconfig's
// entries (1,670 of them) takes 27,000 steps and 28 MiB, so the memory
// limit lets a generated grub.cfg of about 1.7 MB through, well above the
// hundreds of kernels real hosts keep. Past it, a run stops within about
// half a second of CPU, and the agent stays near 65 MiB resident even with
// a 16 MiB grub.cfg (hostfile.LimitGrubCfg).
var DefaultBudget = Budget{
	Steps:        1 << 20,
	Bytes:        4 << 20,
	Memory:       48 << 20,
	SourceDepth:  8,
	SourceFiles:  16,
	SourcedBytes: 16 << 20,
}

// withDefaults fills the zero fields of b from DefaultBudget.
func (b Budget) withDefaults() Budget {
	d := DefaultBudget
	if b.Steps > 0 {
		d.Steps = b.Steps
	}
	if b.Bytes > 0 {
		d.Bytes = b.Bytes
	}
	if b.Memory > 0 {
		d.Memory = b.Memory
	}
	if b.SourceDepth > 0 {
		d.SourceDepth = b.SourceDepth
	}
	if b.SourceFiles > 0 {
		d.SourceFiles = b.SourceFiles
	}
	if b.SourcedBytes > 0 {
		d.SourcedBytes = b.SourcedBytes
	}
	return d
}

// Spent is what a run spent, in Budget's units.
type Spent struct {
	Steps, Bytes, Memory int64
	SourceDepth          int
	SourceFiles          int
	SourcedBytes         int64
}

// LimitError is the ErrTooComplex a run returns when it reached a bound:
// Limit names the bound, Value is its value. A run stopped by its context
// has Limit "context" and Err the context's error.
type LimitError struct {
	Limit string
	Value int64
	Err   error
}

// Limit names, as LimitError.Limit.
const (
	LimitSteps        = "steps"
	LimitBytes        = "expanded bytes"
	LimitMemory       = "memory"
	LimitNesting      = "nesting depth"
	LimitSourceDepth  = "source depth"
	LimitSourceFiles  = "sourced files"
	LimitSourcedBytes = "sourced bytes"
	LimitContext      = "context"
)

func (e *LimitError) Error() string { return "grub script: too complex: " + e.Reason() }

// Reason says which limit was reached, and its value.
func (e *LimitError) Reason() string {
	if e.Limit == LimitContext {
		return "evaluation stopped by its context: " + e.Err.Error()
	}
	return "the " + e.Limit + " limit (" + strconv.FormatInt(e.Value, 10) + ") was reached"
}

// Is makes errors.Is(err, ErrTooComplex) hold.
func (e *LimitError) Is(target error) bool { return target == ErrTooComplex }

// Unwrap returns the context's error for a run its context stopped.
func (e *LimitError) Unwrap() error { return e.Err }

// meter counts what one run spends against its budget. The first limit
// reached stops the run: every later charge fails.
type meter struct {
	b     Budget
	ctx   context.Context
	spent Spent
	// sinceCheck counts charges since the context was last looked at.
	sinceCheck int
	limit      *LimitError
	// onLimit is told about the limit once, when it is reached.
	onLimit func(*LimitError)
}

func newMeter(ctx context.Context, b Budget) *meter {
	if ctx == nil {
		ctx = context.Background()
	}
	// The first charge looks at the context: a run whose context is done
	// before it starts does not start.
	return &meter{b: b.withDefaults(), ctx: ctx, sinceCheck: contextEvery - 1}
}

// stopped reports whether a limit was reached.
func (m *meter) stopped() bool { return m.limit != nil }

func (m *meter) over(limit string, value int64) {
	if m.limit == nil {
		m.limit = &LimitError{Limit: limit, Value: value}
		if m.onLimit != nil {
			m.onLimit(m.limit)
		}
	}
}

// contextEvery is how many charges go between two looks at the context.
const contextEvery = 256

// checkContext looks at the context every so many charges; a context
// that is done stops the run.
func (m *meter) checkContext() {
	m.sinceCheck++
	if m.sinceCheck < contextEvery {
		return
	}
	m.sinceCheck = 0
	if err := m.ctx.Err(); err != nil && m.limit == nil {
		m.limit = &LimitError{Limit: LimitContext, Err: err}
		if m.onLimit != nil {
			m.onLimit(m.limit)
		}
	}
}

// step charges n steps; it reports false, charging nothing, when they are
// not in the budget.
func (m *meter) step(n int) bool {
	if m.limit != nil {
		return false
	}
	if m.spent.Steps+int64(n) > m.b.Steps {
		m.over(LimitSteps, m.b.Steps)
		return false
	}
	m.spent.Steps += int64(n)
	m.checkContext()
	return m.limit == nil
}

// alloc charges n bytes of held memory.
func (m *meter) alloc(n int) bool {
	if m.limit != nil {
		return false
	}
	if m.spent.Memory+int64(n) > m.b.Memory {
		m.over(LimitMemory, m.b.Memory)
		return false
	}
	m.spent.Memory += int64(n)
	return true
}

// expanded charges n bytes of expansion.
func (m *meter) expanded(n int) bool {
	if m.limit != nil {
		return false
	}
	if m.spent.Bytes+int64(n) > m.b.Bytes {
		m.over(LimitBytes, m.b.Bytes)
		return false
	}
	m.spent.Bytes += int64(n)
	return true
}

// Sizes the memory estimate charges for the structures a run builds,
// allocation garbage included: a slice element costs three times its size
// (the slice doubles, so what it allocated over its growth is up to twice
// what it holds, and up to half of it is spare room), a map entry twice
// its slot and the map's overhead, a string its bytes.
var (
	sizeWord    = 3 * int(unsafe.Sizeof(word{}))
	sizePart    = 3 * int(unsafe.Sizeof(wordPart{}))
	sizeField   = 3 * int(unsafe.Sizeof(field{}))
	sizeNode    = 3 * int(unsafe.Sizeof(node(nil))) // a node's interface in its list
	sizeCmd     = int(unsafe.Sizeof(cmdNode{})) + sizeNode
	sizeIf      = int(unsafe.Sizeof(ifNode{})) + sizeNode
	sizeClause  = 3 * int(unsafe.Sizeof(ifClause{}))
	sizeBlock   = int(unsafe.Sizeof(blockNode{})) + sizeNode
	sizeFunc    = int(unsafe.Sizeof(funcNode{})) + sizeNode
	sizeLoop    = int(unsafe.Sizeof(loopNode{})) + sizeNode
	sizeVar     = 2 * (int(unsafe.Sizeof(value{})) + 16 + 16) // + the key's header, the map's overhead
	sizeItem    = int(unsafe.Sizeof(menuItem{})) + 8
	sizeEntry   = int(unsafe.Sizeof(Entry{})) + 8
	sizeWarning = 64
)
