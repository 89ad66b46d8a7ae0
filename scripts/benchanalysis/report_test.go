package main

import (
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(ds)
	if want := (stats{100, 50 * time.Millisecond, 99 * time.Millisecond}); got != want {
		t.Errorf("percentiles of 1..100 ms: got %+v, want %+v", got, want)
	}
	if got := percentiles(ds[:1]); got.p50 != 100*time.Millisecond || got.p99 != 100*time.Millisecond {
		t.Errorf("percentiles of one sample: got %+v", got)
	}
	if got := percentiles(nil); got.n != 0 {
		t.Errorf("percentiles of nothing: got %+v", got)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{dur(850 * time.Nanosecond), "850 ns"},
		{dur(6070 * time.Nanosecond), "6.07 µs"},
		{dur(738 * time.Millisecond), "738 ms"},
		{dur(17600 * time.Millisecond), "17.6 s"},
		{thousands(1041961), "1,041,961"},
		{thousands(999), "999"},
		{ratio(2*time.Second, time.Millisecond), "2000×"},
		{ratio(3*time.Millisecond, 2*time.Millisecond), "1.5×"},
		{ratio(time.Millisecond, 16*time.Millisecond), "0.062×"},
		{ratio(0, time.Millisecond), "–"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestPGBudget checks which queries PostgreSQL is given: the first random ones, hubs spread
// over the list, three repeats of the others.
func TestPGBudget(t *testing.T) {
	var qs []query
	for range 5 {
		qs = append(qs, query{"service/r", groupRandom})
	}
	for range 10 {
		qs = append(qs, query{"service/h", groupHubs})
	}
	for range 5 {
		qs = append(qs, query{"site/s", groupSite})
	}
	var deadline time.Time
	keep := pgBudget(qs, options{pgRandom: 2, pgHubs: 3, pgBudget: time.Hour}, &deadline)
	var got []int
	for i := range qs {
		if keep(i) {
			got = append(got, i)
		}
	}
	want := []int{0, 1, 5, 8, 11, 15, 16, 17}
	if len(got) != len(want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kept %v, want %v", got, want)
		}
	}
}
