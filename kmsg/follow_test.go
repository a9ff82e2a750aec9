package kmsg

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// reading is what one opening of a fake device yields: openErr, or the
// records and then end (io.EOF for the end of the log; nil, when
// following, to wait for ctx).
type reading struct {
	openErr error
	seqs    []uint64
	end     error
}

type fakeDevice struct {
	r    reading
	next int
}

func (d *fakeDevice) Next(ctx context.Context) (Record, error) {
	if d.next < len(d.r.seqs) {
		d.next++
		return Record{Seq: d.r.seqs[d.next-1]}, nil
	}
	if d.r.end == nil {
		<-ctx.Done()
		return Record{}, ctx.Err()
	}
	return Record{}, d.r.end
}

func (d *fakeDevice) Close() error { return nil }

type failure struct {
	err     error
	retryIn time.Duration
}

// fakeFollower follows a device whose openings yield readings in turn,
// and records what it passes on and the failures it reports; it waits
// no real time.
func fakeFollower(t *testing.T, readings ...reading) (f *Follower, added *[]uint64, failures *[]failure) {
	added, failures = new([]uint64), new([]failure)
	f = NewFollower(NewFS(t.TempDir()), func(r Record) { *added = append(*added, r.Seq) },
		func(err error, retryIn time.Duration) { *failures = append(*failures, failure{err, retryIn}) })
	f.open = func(o OpenOptions) (recordReader, error) {
		if len(readings) == 0 {
			t.Fatalf("device opened more often than the test planned")
		}
		r := readings[0]
		readings = readings[1:]
		if r.openErr != nil {
			return nil, r.openErr
		}
		return &fakeDevice{r: r}, nil
	}
	f.wait = func(context.Context, time.Duration) bool { return true }
	return f, added, failures
}

// TestFollowerPassesEachRecordOnce: every reading starts again from the
// oldest record the device holds; the follower passes each record on
// once, counts the failed readings, and keeps the last failure.
func TestFollowerPassesEachRecordOnce(t *testing.T) {
	broken, gone := errors.New("read: broken"), fs.ErrPermission
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, added, failures := fakeFollower(t,
		reading{seqs: []uint64{1, 2, 3}, end: io.EOF},
		reading{seqs: []uint64{3, 4}, end: broken}, // following
		reading{openErr: gone},
		reading{seqs: []uint64{2, 3, 4, 5, 6}, end: io.EOF},
		reading{}, // following until ctx ends
	)
	add := f.add
	f.add = func(r Record) {
		add(r)
		if r.Seq == 6 {
			cancel()
		}
	}
	f.Run(ctx)
	if want := []uint64{1, 2, 3, 4, 5, 6}; !slices.Equal(*added, want) {
		t.Errorf("passed on %v, want %v", *added, want)
	}
	want := []failure{{broken, time.Second}, {gone, 2 * time.Second}}
	if diff := cmp.Diff(want, *failures, cmp.AllowUnexported(failure{}), cmpopts.EquateErrors()); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if st := f.State(); st != (FollowerState{Seen: true, LastSeq: 6, Restarts: 2, Err: gone}) {
		t.Errorf("state %+v", st)
	}
}

// TestFollowerBackoff: failed readings wait one second, then twice as
// long each time up to a minute and once more; a reading that lasted more
// than a minute before it failed starts the backoff again at a second.
func TestFollowerBackoff(t *testing.T) {
	gone := errors.New("no device")
	var readings []reading
	for range 10 {
		readings = append(readings, reading{openErr: gone})
	}
	f, _, failures := fakeFollower(t, readings...)
	clock, opened := time.Unix(0, 0), 0
	f.now = func() time.Time { return clock }
	open := f.open
	f.open = func(o OpenOptions) (recordReader, error) {
		if opened++; opened == 9 {
			clock = clock.Add(2 * time.Minute) // the ninth reading lasts
		}
		return open(o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.wait = func(context.Context, time.Duration) bool { return len(*failures) < 10 }
	f.Run(ctx)
	var got []time.Duration
	for _, fl := range *failures {
		got = append(got, fl.retryIn)
	}
	s := time.Second
	if want := []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 64 * s, s, 2 * s}; !slices.Equal(got, want) {
		t.Errorf("backoff %v, want %v", got, want)
	}
	if st := f.State(); st.Restarts != 10 || st.Seen {
		t.Errorf("state %+v", st)
	}
}

// TestFollowerCaughtUp: CaughtUp closes when a reading reaches the end
// of the log, or when a reading fails before it did.
func TestFollowerCaughtUp(t *testing.T) {
	f, _, _ := fakeFollower(t, reading{seqs: []uint64{7}, end: io.EOF})
	select {
	case <-f.CaughtUp():
		t.Fatal("caught up before reading")
	default:
	}
	if err := f.ReadToEnd(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-f.CaughtUp()

	f, _, _ = fakeFollower(t, reading{openErr: fs.ErrNotExist})
	ctx, cancel := context.WithCancel(context.Background())
	f.failed = func(error, time.Duration) {
		select {
		case <-f.CaughtUp():
		default:
			t.Error("a failed reading did not release the callers waiting for the log")
		}
		cancel()
	}
	f.wait = func(ctx context.Context, _ time.Duration) bool { return ctx.Err() == nil }
	f.Run(ctx)
	if st := f.State(); !errors.Is(st.Err, fs.ErrNotExist) || st.Restarts != 1 {
		t.Errorf("state %+v", st)
	}
}

// TestFollowerReadToEndHonoursContext: a reading to the end stops once
// its context is done, between records.
func TestFollowerReadToEndHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f, added, _ := fakeFollower(t, reading{seqs: []uint64{1, 2, 3}, end: io.EOF})
	f.add = func(r Record) { *added = append(*added, r.Seq); cancel() }
	if err := f.ReadToEnd(ctx); !errors.Is(err, context.Canceled) || !slices.Equal(*added, []uint64{1}) {
		t.Errorf("ReadToEnd = %v after %v", err, *added)
	}
}
