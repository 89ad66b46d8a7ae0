package model

import (
	"slices"
)

// Source records where an object was read from: its document's position and the position of
// every field the loader decoded, by path ("metadata.name", "spec.targets.rto",
// "spec.dependsOn[2]", "spec.steps[0].after[1]"). At finds a field or its nearest recorded
// parent; Lookup and Fields give the recorded positions themselves.
//
// Positions are most of a loaded model's memory, so they are kept compactly: the paths of
// one file's objects are stored once in a table the objects share, and each object keeps a
// sorted slice of small entries. A Source is never modified once its object is decoded, so
// objects can be read from several goroutines.
type Source struct {
	Pos Pos

	paths   *pathTable
	entries []srcEntry // in document order; sorted by path, one per path, when over sortedFrom
}

// sortedFrom is the number of entries from which a Source sorts them for binary search; below
// it a scan is as quick, and a typical object has a few dozen.
const sortedFrom = 64

// srcEntry is where the field at one path was written: its key (or list item) and, for the
// fields validation reports at (valueField), its value when that is elsewhere. Lines are
// stored plus one, so that zero means not recorded (a node the parser did not place has
// line 0).
type srcEntry struct {
	path        int32 // id in the Source's pathTable
	kline, col  int32 // the key, or the list item
	vline, vcol int32 // the value
}

// pathTable holds the field paths of the objects decoded from one file (or one Decode call):
// every object of a file has much the same paths, so each is stored once.
type pathTable struct {
	names []string         // path by id
	ids   map[string]int32 // id by path
}

// id returns the id of path, adding it if it is new. key is the path being built, in a buffer
// the caller reuses: the string is only copied the first time a path is seen.
func (t *pathTable) id(key []byte) int32 {
	if id, ok := t.ids[string(key)]; ok {
		return id
	}
	s := string(key)
	id := int32(len(t.names))
	t.names = append(t.names, s)
	t.ids[s] = id
	return id
}

// find returns what is recorded at path: the key and value positions, either zero when not
// recorded. A path recorded twice keeps its last key and its last value, as a map would.
func (s *Source) find(path string) (key, val srcEntry) {
	if s.paths == nil {
		return
	}
	id, ok := s.paths.ids[path]
	if !ok {
		return
	}
	if len(s.entries) >= sortedFrom {
		if i, found := slices.BinarySearchFunc(s.entries, id, cmpPath); found {
			return s.entries[i], s.entries[i]
		}
		return
	}
	for _, e := range s.entries {
		if e.path == id {
			if e.kline != 0 {
				key = e
			}
			if e.vline != 0 {
				val = e
			}
		}
	}
	return key, val
}

func cmpPath(e srcEntry, id int32) int { return int(e.path - id) }

// Lookup returns the position of the field at path, if the loader recorded one: the key of a
// field, or the item itself in a list.
func (s *Source) Lookup(path string) (Pos, bool) {
	if e, _ := s.find(path); e.kline != 0 {
		return s.pos(e.kline, e.col), true
	}
	return Pos{}, false
}

// Fields returns every recorded position by path, as Lookup finds them; it builds a new map
// on each call, for tests and tools rather than for lookups.
func (s *Source) Fields() map[string]Pos {
	out := make(map[string]Pos, len(s.entries))
	for _, e := range s.entries { // in order: the last key recorded at a path wins
		if e.kline != 0 {
			out[s.paths.names[e.path]] = s.pos(e.kline, e.col)
		}
	}
	return out
}

// pos is a recorded position; line is stored plus one.
func (s *Source) pos(line, col int32) Pos {
	return Pos{File: s.Pos.File, Line: int(line - 1), Column: int(col)}
}

// valueAt returns the position of the value at path, or else what At returns.
func (s *Source) valueAt(path string) Pos {
	if _, e := s.find(path); e.vline != 0 {
		return s.pos(e.vline, e.vcol)
	}
	return s.At(path)
}

// At returns the position of the field at path, or of its nearest recorded parent, or of the
// document itself.
func (s *Source) At(path string) Pos {
	for path != "" {
		if p, ok := s.Lookup(path); ok {
			return p
		}
		i := lastSep(path)
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return s.Pos
}

// lastSep finds the last '.' or '[' that ends the parent of a field path.
func lastSep(path string) int {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '.' || path[i] == '[' {
			return i
		}
	}
	return -1
}

// setEntries keeps the entries recorded while decoding one object (in document order), in an
// exactly sized copy: the decoder reuses its buffer for the next object. Many entries are
// sorted by path, merging any path recorded twice as find does.
func (s *Source) setEntries(paths *pathTable, recorded []srcEntry) {
	s.paths = paths
	if len(recorded) == 0 {
		return
	}
	if len(recorded) < sortedFrom {
		s.entries = slices.Clone(recorded)
		return
	}
	if !slices.IsSortedFunc(recorded, cmpEntry) {
		slices.SortStableFunc(recorded, cmpEntry)
	}
	n := 0
	for i := 1; i < len(recorded); i++ {
		if recorded[i].path == recorded[n].path {
			if recorded[i].kline != 0 {
				recorded[n].kline, recorded[n].col = recorded[i].kline, recorded[i].col
			}
			if recorded[i].vline != 0 {
				recorded[n].vline, recorded[n].vcol = recorded[i].vline, recorded[i].vcol
			}
			continue
		}
		n++
		recorded[n] = recorded[i]
	}
	s.entries = slices.Clone(recorded[:n+1])
}

func cmpEntry(a, b srcEntry) int { return int(a.path - b.path) }
