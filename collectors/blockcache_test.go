package collectors

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/bootinfo/bootinfo/systemd"
	"github.com/prometheus/common/promslog"
)

// gatedEncoder is an encode function that counts its calls and returns
// text only once its gate is closed.
type gatedEncoder struct {
	text    string
	gate    chan struct{}
	calls   atomic.Int32
	entered chan struct{} // receives once per call
}

func newGated(text string) *gatedEncoder {
	return &gatedEncoder{text: text, gate: make(chan struct{}), entered: make(chan struct{}, 64)}
}

func (g *gatedEncoder) encode() (*Block, error) {
	g.calls.Add(1)
	g.entered <- struct{}{}
	<-g.gate
	return &Block{Text: []byte(g.text), Names: []string{"x"}}, nil
}

// TestBlockCacheSharesABuild: requests that want the same new key while
// its block is being built share that build; meanwhile the block kept
// for the old key is served at once, without waiting for it.
func TestBlockCacheSharesABuild(t *testing.T) {
	var c blockCache
	old, err := c.get(0, func() (*Block, error) { return &Block{Text: []byte("old\n")}, nil })
	if err != nil {
		t.Fatal(err)
	}
	g := newGated("new\n")
	var wg sync.WaitGroup
	got := make([]*Block, 16)
	for i := range got {
		wg.Go(func() {
			b, err := c.get(1, g.encode)
			if err != nil {
				t.Error(err)
			}
			got[i] = b
		})
	}
	<-g.entered
	// The build is in flight and holds no lock: the old key's block is
	// served (a request that waited would hang here, the gate shut).
	if b, err := c.get(0, nil); b != old || err != nil {
		t.Errorf("old key: %p, %v; want the kept block", b, err)
	}
	// Let the other requests reach the build in flight before it ends.
	for c.waitingForTest() < len(got)-1 {
		time.Sleep(time.Millisecond)
	}
	close(g.gate)
	wg.Wait()
	if n := g.calls.Load(); n != 1 {
		t.Errorf("%d builds for one key", n)
	}
	for i, b := range got {
		if b != got[0] || string(b.Text) != "new\n" || len(b.Gzip.Deflate) == 0 {
			t.Errorf("request %d got %p %q", i, b, b.Text)
		}
	}
	if b, _ := c.get(1, nil); b != got[0] {
		t.Error("the block built was not kept")
	}
}

// TestBlockCacheSameTextKeepsBlock: a new key whose text equals the kept
// block's keeps that block, thorough compression and all.
func TestBlockCacheSameTextKeepsBlock(t *testing.T) {
	recompressFrom(t, 0)
	var c blockCache
	text := strings.Repeat("bootinfo_test_value 1\n", 1000)
	enc := func() (*Block, error) { return &Block{Text: []byte(text)}, nil }
	first, _ := c.get(1, enc)
	thorough := recompressed(t, &c, 1, enc, first)
	if b, _ := c.get(2, enc); b != thorough {
		t.Error("a new key with the same text was compressed again")
	}
	other := func() (*Block, error) { return &Block{Text: []byte("bootinfo_test_value 2\n")}, nil }
	if b, _ := c.get(3, other); b == thorough || string(b.Text) != "bootinfo_test_value 2\n" {
		t.Errorf("new text not served: %q", b.Text)
	}
}

// TestBlockCacheLaterBuildStays: a build that ends after a later one
// does not replace the block the later one kept.
func TestBlockCacheLaterBuildStays(t *testing.T) {
	var c blockCache
	a, b := newGated("a\n"), newGated("b\n")
	var wg sync.WaitGroup
	wg.Go(func() { c.get("a", a.encode) })
	<-a.entered
	wg.Go(func() { c.get("b", b.encode) })
	<-b.entered
	close(b.gate)
	for c.cur.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	close(a.gate)
	wg.Wait()
	if k := c.cur.Load().key; k != "b" {
		t.Errorf("kept %v, want the later build's b", k)
	}
}

// TestBlockCachePanicIsAnError: a build that panics is an error for the
// request that made it and for those that waited for it, and is not kept.
func TestBlockCachePanicIsAnError(t *testing.T) {
	var c blockCache
	gate := make(chan struct{})
	entered := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.get(1, func() (*Block, error) {
				close(entered)
				<-gate
				panic("broken metrics")
			})
		})
	}
	<-entered
	for c.waitingForTest() < len(errs)-1 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "broken metrics") {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if b, err := c.get(1, func() (*Block, error) { return &Block{Text: []byte("ok\n")}, errors.New("partly") }); b == nil || err == nil {
		t.Errorf("after the panic: %v, %v", b, err)
	}
	if c.cur.Load() != nil {
		t.Error("a failed build was kept")
	}
}

// TestBlockCacheYoungBlockNotRecompressed: however often it is served, a
// block kept for less than recompressAge keeps its fast compression, so
// that a burst of changes never pays for the thorough one.
func TestBlockCacheYoungBlockNotRecompressed(t *testing.T) {
	recompressFrom(t, time.Hour)
	var c blockCache
	text := strings.Repeat("bootinfo_test_value 1\n", 1000)
	enc := func() (*Block, error) { return &Block{Text: []byte(text)}, nil }
	first, _ := c.get(1, enc)
	for range 10 * recompressAfter {
		c.get(1, enc)
	}
	c.recompressing.Wait()
	if b, _ := c.get(1, enc); b != first {
		t.Error("a block kept for less than recompressAge was recompressed")
	}
	// Once it is old enough, the next serving recompresses it, once.
	c.cur.Load().made = time.Now().Add(-2 * time.Hour)
	for range 3 {
		c.get(1, enc)
	}
	c.recompressing.Wait()
	if b, _ := c.get(1, enc); b == first || len(b.Gzip.Deflate) >= len(first.Gzip.Deflate) {
		t.Error("an old block served again was not recompressed")
	}
}

// recompressed serves key's block recompressAfter times more, waits for
// the recompression that starts, and returns the block then kept, which
// must be smaller than first.
func recompressed(t *testing.T, c *blockCache, key any, enc func() (*Block, error), first *Block) *Block {
	t.Helper()
	for range recompressAfter {
		c.get(key, enc)
	}
	c.recompressing.Wait()
	b, _ := c.get(key, enc)
	if b == first || len(b.Gzip.Deflate) >= len(first.Gzip.Deflate) {
		t.Fatalf("not recompressed: %d bytes, then %d", len(first.Gzip.Deflate), len(b.Gzip.Deflate))
	}
	return b
}

// recompressFrom sets recompressAge for one test.
func recompressFrom(t *testing.T, age time.Duration) {
	old := recompressAge
	recompressAge = age
	t.Cleanup(func() { recompressAge = old })
}

// TestBlockCacheKeepsLargeBlocksCompressed: a block of packAt bytes or
// more is kept without its text, which Bytes and WriteText give back
// from its compressed form, through recompression too; a smaller one
// keeps its text; and a new key whose text equals the packed block's is
// told apart from one of the same length and hash but other bytes.
func TestBlockCacheKeepsLargeBlocksCompressed(t *testing.T) {
	recompressFrom(t, 0)
	line := "bootinfo_systemd_unit_state{name=\"unit.service\",state=\"active\"} 1\n"
	text := strings.Repeat(line, packAt/len(line)+1)
	enc := func() (*Block, error) { return &Block{Text: []byte(text)}, nil }
	var c blockCache
	first, err := c.get(1, enc)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, b *Block) {
		t.Helper()
		if b.Text != nil {
			t.Errorf("%s: a block of %d bytes kept its text", what, len(text))
		}
		got, err := b.Bytes()
		if err != nil || string(got) != text || b.Len() != int64(len(text)) {
			t.Errorf("%s: Bytes = %d bytes, %v; Len %d; want %d", what, len(got), err, b.Len(), len(text))
		}
		if joined, err := JoinText(b, b); err != nil || string(joined) != text+text {
			t.Errorf("%s: JoinText = %d bytes, %v", what, len(joined), err)
		}
	}
	check("first", first)

	// Same text, new key: the packed block is kept, after its inflated
	// text was compared.
	if b, _ := c.get(2, enc); b != first {
		t.Error("a new key with the same text was compressed again")
	}
	e := c.cur.Load()
	differs := []byte(text)
	differs[len(differs)-2] = '0'
	if e.sameText(differs, e.sum) {
		t.Error("text of the same length and hash but other bytes taken for the kept one")
	}
	if !e.sameText([]byte(text), e.sum) || e.sameText([]byte(text), e.sum+1) {
		t.Error("sameText does not go by hash and text")
	}

	check("recompressed", recompressed(t, &c, 2, enc, first))

	small, _ := c.get(3, func() (*Block, error) { return &Block{Text: []byte(line)}, nil })
	if string(small.Text) != line {
		t.Errorf("a block of %d bytes lost its text", len(line))
	}
}

// TestBlockCacheRecyclesPackedText: once the cache keeps a block
// compressed only, its text's room goes back to the text writer, which
// writes the next block in it (a crash-loop storm's encoding every second
// then makes no garbage the size of its text); a block whose text the
// cache keeps never has its room written over, and what the cache serves
// stays the text each block was made with.
func TestBlockCacheRecyclesPackedText(t *testing.T) {
	col, err := NewSystemdCollector(Config{Logger: promslog.NewNopLogger()})
	if err != nil {
		t.Fatal(err)
	}
	c := col.(*systemdCollector)
	units := func(n int, restarts uint32) *systemd.Snapshot {
		in := systemd.SnapshotInput{Scope: systemd.ScopeSystem}
		for i := range n {
			in.Units = append(in.Units, systemd.Unit{Name: fmt.Sprintf("u%04d.service", i), ActiveState: "active",
				Service: &systemd.Service{NRestarts: restarts}})
		}
		return systemd.BuildSnapshot(in, systemd.Filter{})
	}
	room := func(b []byte) *byte { return unsafe.SliceData(b) }
	var cache blockCache
	var texts []string
	var rooms []*byte
	var served []*Block
	for i, s := range []*systemd.Snapshot{units(1000, 1), units(1000, 2), units(1000, 3), units(2, 4), units(2, 5)} {
		enc := func() (*Block, error) {
			b := c.text(s)
			rooms = append(rooms, room(b.Text))
			texts = append(texts, string(b.Text))
			return b, nil
		}
		b, err := cache.get(i, enc)
		if err != nil {
			t.Fatal(err)
		}
		served = append(served, b)
		got, err := b.Bytes()
		if err != nil || string(got) != texts[i] {
			t.Fatalf("block %d: served %d bytes (%v), made %d", i, len(got), err, len(texts[i]))
		}
		if large := len(texts[i]) >= packAt; large != b.packed() {
			t.Fatalf("block %d of %d bytes: packed %v", i, len(texts[i]), b.packed())
		}
	}
	if rooms[1] != rooms[0] || rooms[2] != rooms[0] {
		t.Error("the blocks after a packed one were not written in its room")
	}
	// The small block at 3 keeps its text: block 4 is written elsewhere,
	// and every block still reads as it was made.
	if rooms[4] == rooms[3] {
		t.Error("a kept block's text was written over")
	}
	for i, b := range served {
		if got, err := b.Bytes(); err != nil || string(got) != texts[i] {
			t.Errorf("block %d no longer reads as it was made (%v)", i, err)
		}
	}
	// A text larger than maxSpare is not kept between encodings.
	big := units(4000, 6)
	var bigLen int
	if _, err := cache.get(len(served), func() (*Block, error) {
		b := c.text(big)
		bigLen = len(b.Text)
		return b, nil
	}); err != nil {
		t.Fatal(err)
	}
	c.tw.reset()
	if bigLen <= maxSpare || cap(c.tw.spare) > maxSpare || cap(c.tw.labels.buf) != 0 {
		t.Errorf("after a block of %d bytes: kept %d bytes of text and room for %d label values", bigLen, cap(c.tw.spare), cap(c.tw.labels.buf))
	}
}
