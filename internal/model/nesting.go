package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The YAML parser's time grows with the square of the nesting depth of block collections
// ("- - - - x" 10,000 deep takes it 30 ms and 10 MB for 20 KB; a megabyte of such lines takes
// seconds), and it allows 10,000 levels where an honest document needs a dozen. tooDeep looks
// at the text before the parser does, in one pass, and refuses a document it can see nests
// deeper than maxDepth: every door (a model file, an apply, a document sent to the API, a
// YAML field of a web form) goes through it.
//
// It is a lower bound: it counts only the nesting it is sure of (the "- " and "key:" that
// open block collections on each line, by column, and the brackets of flow collections), and
// it skips what it cannot tell from a scalar (block scalars, multi-line scalars), so it never
// refuses a document the parser would find shallow enough. What it lets through is measured
// exactly after parsing (measure).

// tooDeep returns the 1-based line at which data is seen to nest deeper than limit, or 0.
// Depth is counted as measure counts it: the root collection is at 0, its items at 1, so
// limit+2 collections, one in the other, nest deeper than limit even when the last is empty.
func tooDeep(data []byte, limit int) int {
	var (
		stack []int // columns of the open block collections
		flow  int   // open flow collections
		quote byte  // the quote a scalar spanning lines is in
		skip  = -2  // lines indented more than skip are scalar content; -2: none
	)
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		pos := indent
		if quote != 0 {
			end := closeQuote(line, 0, quote)
			if end < 0 {
				continue
			}
			quote, pos = 0, end
			if flow == 0 {
				continue // the rest of the line follows a scalar
			}
		}
		if flow == 0 {
			rest := line[indent:]
			if len(rest) == 0 || rest[0] == '#' || rest[0] == '\t' {
				continue // blank or comment: no indentation of its own
			}
			if skip > -2 {
				if indent > skip {
					continue
				}
				skip = -2
			}
			if indent == 0 && (bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("...")) || rest[0] == '%') {
				stack = stack[:0]
				continue
			}
			for len(stack) > 0 && stack[len(stack)-1] > indent {
				stack = stack[:len(stack)-1]
			}
			open := func(col int) bool {
				if len(stack) == 0 || stack[len(stack)-1] < col {
					stack = append(stack, col)
				}
				return len(stack) > limit+1
			}
			// "- " and "? " each open a collection at their column; a key opens a mapping.
			for pos < len(line) && (line[pos] == '-' || line[pos] == '?') && (pos+1 == len(line) || line[pos+1] == ' ') {
				if open(pos) {
					return lineNo
				}
				pos = skipSpaces(line, pos+1)
			}
			if pos >= len(line) || line[pos] == '#' {
				continue
			}
			inner := -1 // a scalar at the top continues on lines of any indentation
			if len(stack) > 0 {
				inner = stack[len(stack)-1]
			}
			if k := keyEnd(line, pos); k >= 0 {
				if open(pos) {
					return lineNo
				}
				inner = pos
				pos = skipSpaces(line, k+1)
			}
			pos = skipProperties(line, pos)
			if pos >= len(line) || line[pos] == '#' {
				continue
			}
			switch c := line[pos]; c {
			case '[', '{':
				// a flow collection: scanned below
			case '"', '\'':
				if closeQuote(line, pos+1, c) < 0 {
					quote = c
				}
				continue
			default:
				// A block scalar or a plain one: lines indented more than the collection it
				// is in are its content.
				skip = inner
				continue
			}
		}
		// Flow context: every bracket outside quotes and comments opens or closes.
		for ; pos < len(line); pos++ {
			switch c := line[pos]; c {
			case '[', '{':
				flow++
				if len(stack)+flow > limit+1 {
					return lineNo
				}
			case ']', '}':
				if flow > 0 {
					flow--
				}
			case '"', '\'':
				end := closeQuote(line, pos+1, c)
				if end < 0 {
					quote = c
					pos = len(line)
					break
				}
				pos = end - 1
			case '#':
				if pos == 0 || line[pos-1] == ' ' || line[pos-1] == '\t' {
					pos = len(line)
				}
			}
			if flow == 0 {
				break
			}
		}
	}
	return 0
}

// closeQuote returns the index just past the quote that closes a scalar in quote q whose
// text starts at from, or -1 when the line ends first.
func closeQuote(line []byte, from int, q byte) int {
	for i := from; i < len(line); i++ {
		switch {
		case q == '"' && line[i] == '\\':
			i++
		case line[i] == q:
			if q == '\'' && i+1 < len(line) && line[i+1] == '\'' {
				i++ // '' is a quote inside single quotes
				continue
			}
			return i + 1
		}
	}
	return -1
}

// keyEnd returns the index of the ':' that ends an implicit key starting at pos, or -1: a
// plain key ends at the first ": " (or ':' ending the line) before a comment, a quoted one
// at its closing quote followed by ':'.
func keyEnd(line []byte, pos int) int {
	if c := line[pos]; c == '"' || c == '\'' {
		end := closeQuote(line, pos+1, c)
		if end < 0 {
			return -1
		}
		end = skipSpaces(line, end)
		if end < len(line) && line[end] == ':' && (end+1 == len(line) || line[end+1] == ' ' || line[end+1] == '\t') {
			return end
		}
		return -1
	}
	if c := line[pos]; c == '[' || c == '{' || c == '|' || c == '>' || c == '&' || c == '*' || c == '!' {
		return -1
	}
	for i := pos; i < len(line); i++ {
		switch line[i] {
		case ':':
			if i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t' {
				return i
			}
		case '#':
			if line[i-1] == ' ' || line[i-1] == '\t' {
				return -1
			}
		}
	}
	return -1
}

// skipProperties skips an anchor (&a) and a tag (!!map) before a value, each followed by
// spaces; after a tab it stops there, and the value counts as a scalar.
func skipProperties(line []byte, pos int) int {
	for pos < len(line) && (line[pos] == '&' || line[pos] == '!') {
		for pos < len(line) && line[pos] != ' ' && line[pos] != '\t' {
			pos++
		}
		for pos < len(line) && line[pos] == ' ' {
			pos++
		}
	}
	return pos
}

func skipSpaces(line []byte, pos int) int {
	for pos < len(line) && (line[pos] == ' ' || line[pos] == '\t') {
		pos++
	}
	return pos
}

// CheckNesting refuses, in one pass over the text and before any parser sees it, a YAML or
// JSON document that nests deeper than MaxDepth: the check every door runs first (the loader
// runs it on every file).
func CheckNesting(data []byte) error {
	if line := tooDeep(data, maxDepth); line > 0 {
		return fmt.Errorf("line %d: %w", line, errTooDeep)
	}
	return nil
}

// MaxFragment bounds the text of one YAML fragment (a field of a web form): the largest
// honest one, a long plan's steps, is a few tens of kilobytes.
const MaxFragment = 256 << 10

// MaxDepth is how deep a document may nest.
const MaxDepth = maxDepth

// ErrTooDeep is the error of a fragment that nests deeper than the format allows.
var ErrTooDeep = errTooDeep

// ParseFragment reads a YAML fragment (a value, not a whole document: the runs-at, depends-on
// or steps field of a web form) into what JSON encodes: maps with string keys, lists,
// strings, numbers, booleans; dates stay text. It refuses, before any costly work, a fragment
// larger than MaxFragment, one with NUL bytes or invalid UTF-8, and one that nests deeper
// than the format allows, so that hostile text costs milliseconds. A nil value is an empty
// fragment.
func ParseFragment(text string) (any, error) {
	if len(text) > MaxFragment {
		return nil, fmt.Errorf("too long: %s, at most %s", sizeString(int64(len(text))), sizeString(MaxFragment))
	}
	if strings.IndexByte(text, 0) >= 0 {
		return nil, errors.New("holds a NUL byte")
	}
	if !utf8.ValidString(text) {
		return nil, errors.New("not valid UTF-8")
	}
	if err := CheckNesting([]byte(text)); err != nil {
		return nil, err
	}
	root, err := parseOne(text)
	if root == nil || err != nil {
		return nil, err
	}
	if err := measure(root); err != nil {
		return nil, err
	}
	return nodeValue(root)
}

// parseOne parses text that holds at most one YAML document, and returns its root node, nil
// for none.
func parseOne(text string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(text))
	var doc, more yaml.Node
	err := decodeNode(dec, &doc)
	if err == io.EOF || err == nil && len(doc.Content) == 0 {
		return nil, nil
	}
	if err == nil {
		if err = decodeNode(dec, &more); err == io.EOF {
			return doc.Content[0], nil
		}
		if err == nil {
			err = errors.New("expected one value, got a second document")
		}
	}
	return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

// nodeValue turns a parsed node into what JSON encodes: maps with string keys, lists,
// strings, numbers, booleans, nil; dates stay text. It is the YAML library's decoding less
// its cost: the library compares every key of a mapping with every later one, and writes an
// error for each pair that repeats, so 5,000 repeated keys cost it 25 GB. Here a repeated key
// is one error, found through a map.
func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: unknown anchor", n.Line)
		}
		return nodeValue(n.Alias)
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %s", n.Line, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		switch x := v.(type) {
		case time.Time:
			return n.Value, nil // a date: the text as written
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("line %d: %s is not a number JSON can hold", n.Line, n.Value)
			}
		}
		return v, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		line := make(map[string]int, len(n.Content)/2)
		var merged []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				merged = append(merged, v)
				continue
			}
			kv, err := nodeValue(k)
			if err != nil {
				return nil, err
			}
			switch kv.(type) {
			case map[string]any, []any:
				return nil, fmt.Errorf("line %d: a key must be text, not a %s", k.Line, nodeNoun(k))
			}
			key := fmt.Sprint(kv)
			if kv == nil {
				key = "null"
			}
			if at, ok := line[key]; ok {
				return nil, fmt.Errorf("line %d: key %q already defined at line %d", k.Line, key, at)
			}
			line[key] = k.Line
			if out[key], err = nodeValue(v); err != nil {
				return nil, err
			}
		}
		// Merged mappings (<<: *base) give the keys the mapping does not set itself.
		for _, m := range merged {
			m = resolve(m)
			list := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				list = m.Content
			}
			for _, e := range list {
				mv, err := nodeValue(e)
				if err != nil {
					return nil, err
				}
				mm, ok := mv.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("line %d: << merges a mapping or a list of mappings", e.Line)
				}
				for k, v := range mm {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
			}
		}
		return out, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0])
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}
