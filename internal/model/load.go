package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds a model file: the largest honest estates split into many files, and a
// bound lets the loader refuse a stray dump or log without reading it.
const maxFileSize = 8 << 20

// loader holds the state of one load; nothing outlives it.
type loader struct {
	m      *Model
	probs  Problems
	fields map[reflect.Type][]fieldInfo
	text   map[reflect.Type]bool // whether a type reads itself from text (isText)
	paths  *pathTable            // the field paths of the objects this loader decodes
	jobs   []fileJob             // files found, read and decoded by decodeFiles

	// Buffers the decoder reuses from one document to the next.
	entries []srcEntry // the positions recorded in the current document
	pathBuf []byte     // the path being built
	pairs   []pair     // the entries of the mappings being decoded (docDecoder.pairs)
}

// fileJob is one model file to read.
type fileJob struct {
	fsys          fs.FS
	name, display string
}

func newLoader() *loader {
	return &loader{
		m:      &Model{},
		fields: make(map[reflect.Type][]fieldInfo),
		text:   make(map[reflect.Type]bool),
		paths:  &pathTable{ids: make(map[string]int32)},
	}
}

func (l *loader) add(p Problem) { l.probs = append(l.probs, p) }

// Load reads the model in paths, each a file or a folder walked recursively for `.yaml` and
// `.yml` files (hidden ones skipped). err is non-nil only when a path does not exist or cannot
// be read; everything wrong inside the files is in problems, all of them, sorted. m is never
// nil and holds every object that decoded, but is only safe to analyse when problems is empty.
func Load(paths ...string) (m *Model, problems Problems, err error) {
	l := newLoader()
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return l.m, nil, fmt.Errorf("read model: %w", err)
		}
		display := func(rel string) string { return filepath.Join(p, filepath.FromSlash(rel)) }
		if !info.IsDir() {
			dir, base := filepath.Split(p)
			if dir == "" {
				dir = "."
			}
			display = func(string) string { return p }
			if err := l.loadTop(os.DirFS(dir), base, display); err != nil {
				// The error names the file relative to its folder; name it as the user did.
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = &fs.PathError{Op: pe.Op, Path: p, Err: pe.Err}
				}
				return l.m, nil, fmt.Errorf("read model: %w", err)
			}
			continue
		}
		if err := l.loadTop(os.DirFS(p), ".", display); err != nil {
			return l.m, nil, fmt.Errorf("read model %s: %w", p, err)
		}
	}
	l.decodeFiles()
	return l.finish()
}

// LoadFS reads the model under root in fsys, as Load does for a folder; positions name files
// by their path inside fsys. It serves the embedded demo organisation.
func LoadFS(fsys fs.FS, root string) (*Model, Problems, error) {
	l := newLoader()
	if _, err := fs.Stat(fsys, root); err != nil {
		return l.m, nil, fmt.Errorf("read model: %w", err)
	}
	if err := l.loadTop(fsys, root, func(p string) string { return p }); err != nil {
		return l.m, nil, fmt.Errorf("read model %s: %w", root, err)
	}
	l.decodeFiles()
	return l.finish()
}

// decodeFiles reads and decodes the files found, several at a time: parsing is most of a
// large estate's load time and files are independent. Each file gets its own loader; the
// results are merged in file order, so the model and the problems do not depend on timing.
func (l *loader) decodeFiles() {
	results := make([]*loader, len(l.jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range l.jobs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fl := newLoader()
			fl.loadFile(j.fsys, j.name, j.display)
			results[i] = fl
		}()
	}
	wg.Wait()
	for _, fl := range results {
		l.probs = append(l.probs, fl.probs...)
		for _, o := range fl.m.Objects() {
			l.addObject(o)
		}
	}
	l.jobs = nil
}

func (l *loader) finish() (*Model, Problems, error) {
	l.validate()
	l.probs.Sort()
	if len(l.probs) == 0 {
		return l.m, nil, nil
	}
	return l.m, l.probs, nil
}

// loadTop loads root, a file or a folder, in fsys. An error on root itself is returned (the
// command cannot run); an error below it is a problem of the file concerned.
func (l *loader) loadTop(fsys fs.FS, root string, display func(string) string) error {
	info, err := fs.Stat(fsys, root)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if info.Mode().IsRegular() {
			// Fail early on what the user named but cannot be read, rather than as a problem.
			f, err := fsys.Open(root)
			if err != nil {
				return err
			}
			f.Close()
		}
		l.jobs = append(l.jobs, fileJob{fsys, root, display(root)})
		return nil
	}
	return fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			l.add(Problem{Pos: Pos{File: display(p)}, Rule: RuleFile, Msg: "cannot read: " + unwrapPathError(err)})
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		l.jobs = append(l.jobs, fileJob{fsys, p, display(p)})
		return nil
	})
}

// unwrapPathError keeps the cause of a path error: the problem already names the file.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// loadFile reads one file, checking its size before reading so a huge file costs nothing.
func (l *loader) loadFile(fsys fs.FS, name, display string) {
	fileProblem := func(format string, args ...any) {
		l.add(Problem{Pos: Pos{File: display}, Rule: RuleFile, Msg: fmt.Sprintf(format, args...)})
	}
	info, err := fs.Stat(fsys, name)
	if err != nil {
		fileProblem("cannot read: %s", unwrapPathError(err))
		return
	}
	if !info.Mode().IsRegular() {
		fileProblem("not a regular file")
		return
	}
	if info.Size() > maxFileSize {
		fileProblem("file too large: %s, the limit is 8 MiB; split the model into several files", sizeString(info.Size()))
		return
	}
	f, err := fsys.Open(name)
	if err != nil {
		fileProblem("cannot read: %s", unwrapPathError(err))
		return
	}
	defer f.Close()
	// The limit holds even if the file grows between Stat and reading. The buffer is sized
	// from Stat, so a file is read without the copies of a growing buffer.
	data, err := readAll(io.LimitReader(f, maxFileSize+1), info.Size()+1)
	if err != nil {
		fileProblem("cannot read: %s", unwrapPathError(err))
		return
	}
	if len(data) > maxFileSize {
		fileProblem("file too large: over 8 MiB; split the model into several files")
		return
	}
	l.parse(display, data)
}

// readAll reads r to the end into a buffer of size bytes to start with: the file's size and
// one, so that reading the end costs no further allocation when the size was right.
func readAll(r io.Reader, size int64) ([]byte, error) {
	data := make([]byte, 0, max(size, 512))
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grow: the file was larger than Stat said
		}
	}
}

func sizeString(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

// parse reads every document of one file's bytes.
func (l *loader) parse(file string, data []byte) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, col := lineCol(data, i)
		l.add(Problem{Pos: Pos{File: file, Line: line, Column: col}, Rule: RuleSyntax,
			Msg: "not a YAML file: binary data (a NUL byte); model files are UTF-8 text"})
		return
	}
	if !utf8.Valid(data) {
		i := invalidUTF8(data)
		line, col := lineCol(data, i)
		l.add(Problem{Pos: Pos{File: file, Line: line, Column: col}, Rule: RuleSyntax,
			Msg: "not a YAML file: invalid UTF-8; model files are UTF-8 text"})
		return
	}
	if line := tooDeep(data, maxDepth); line > 0 {
		l.add(Problem{Pos: Pos{File: file, Line: line, Column: 1}, Rule: RuleSyntax, Msg: errTooDeep.Error()})
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := decodeNode(dec, &doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			l.add(syntaxProblem(file, err))
			return // the parser cannot resynchronise after an error
		}
		l.safeDocument(file, &doc)
	}
}

// safeDocument decodes one document, turning a panic into a problem: the last line of defence
// for a decoder bug, so one odd document cannot take the whole command down.
func (l *loader) safeDocument(file string, doc *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			l.add(Problem{Pos: Pos{File: file, Line: doc.Line, Column: doc.Column}, Rule: RuleSyntax,
				Msg: fmt.Sprintf("internal error reading this document (please report it): %v", r)})
		}
	}()
	l.document(file, doc)
}

// decodeNode parses one document. The parser is third-party code fed hostile input; a panic
// in it becomes a problem of this file rather than a crash of the command.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// syntaxProblem turns the parser's "yaml: line 3: did not find expected key" into a problem
// at that line. The parser gives no column; column 1 points at the line.
func syntaxProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := Problem{Pos: Pos{File: file}, Rule: RuleSyntax}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				if parserError(tail) {
					n++
				}
				p.Pos.Line, p.Pos.Column, msg = n, 1, tail
			}
		}
	}
	p.Msg = "invalid YAML: " + msg
	return p
}

// parserError reports whether msg comes from the YAML parser rather than its scanner: the
// parser reports 0-based lines (go.yaml.in/yaml/v3 adds 1 for scanner errors only), and its
// line is where the enclosing collection starts.
func parserError(msg string) bool {
	return strings.HasPrefix(msg, "did not find expected") ||
		strings.HasPrefix(msg, "found undefined tag handle") ||
		strings.HasPrefix(msg, "found duplicate %") ||
		strings.HasPrefix(msg, "found incompatible YAML document")
}

func lineCol(data []byte, off int) (line, col int) {
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = 1 + off - (bytes.LastIndexByte(data[:off], '\n') + 1)
	return line, col
}

func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return 0
}
