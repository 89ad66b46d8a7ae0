// Package binder writes the plan binder: one self-contained HTML file with every plan, the
// contact list, the call trees and the providers' contacts, for printing and for reading
// offline when Perdura itself (or the network, or the data centre) is down. The file has its
// styles inline, no scripts and no references to anything outside itself, so a copy on a
// laptop or a USB stick works anywhere a browser does.
//
// The package renders a model; it does no I/O but writing the file, so the web server and
// the command line make the same binder.
package binder

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
)

//go:embed binder.html binder.css
var files embed.FS

// Options say what the binder is of and when it was made.
type Options struct {
	// Generated is when the binder is made: it is printed on every page, and review dates
	// are judged against it. The same model and time give the same bytes.
	Generated time.Time
	// Title names the organisation or the binder; "" gives "Continuity plan binder".
	Title string
	// Generation is the stored model's generation, 0 when the model came from a folder.
	Generation int64
	// Origin says where the model came from, for the cover: "model folder examples/".
	Origin string
	// Graph is the model compiled, when the caller has it; nil compiles it here.
	Graph *analysis.Graph
}

// Binder is everything the binder shows, worked out from the model.
type Binder struct {
	Title      string
	Generated  time.Time
	Generation int64
	Origin     string
	CSS        template.CSS
	Plans      []*Plan
	People     []PersonEntry
	Teams      []*Team
	Providers  []Provider
}

// PersonEntry is one line of the contact list.
type PersonEntry struct {
	Contact
	Teams []string // names of the teams the person is in
	Plans []string // names of the plans that name the person
}

// Provider is a provider's contract and contacts.
type Provider struct {
	Name, Title, Type, Criticality string
	Contract                       *model.Contract
	Contacts                       []model.Contact
}

// New works out what the binder shows.
func New(m *model.Model, opts Options) (*Binder, error) {
	g := opts.Graph
	if g == nil {
		// A model that does not compile still has plans and people worth printing; the
		// targets are then the services' own.
		g, _ = analysis.Compile(m)
	}
	css, err := files.ReadFile("binder.css")
	if err != nil {
		return nil, err
	}
	b := &Binder{Title: opts.Title, Generated: opts.Generated.UTC(), Generation: opts.Generation,
		Origin: opts.Origin, CSS: template.CSS(css)}
	if b.Title == "" {
		b.Title = "Continuity plan binder"
	}
	targets := NewTargets(m, g)
	pp := &people{m: m, cache: map[string]Contact{}}
	named := map[string][]string{} // person -> plans naming them
	for _, p := range m.Plans {
		pl := newPlan(m, pp, targets, p, b.Generated)
		b.Plans = append(b.Plans, pl)
		seen := map[string]bool{}
		note := func(cs []Contact) {
			for _, c := range cs {
				if !seen[c.Name] {
					seen[c.Name] = true
					named[c.Name] = append(named[c.Name], p.Metadata.Name)
				}
			}
		}
		note(pl.Authority)
		for _, r := range pl.Roles {
			note(r.People)
			if r.Team != nil {
				note(r.Team.Members)
			}
		}
		for _, c := range pl.Communication {
			note(c.People)
			if c.Team != nil {
				note(c.Team.Members)
			}
		}
	}
	inTeams := map[string][]string{}
	for _, t := range m.Teams {
		b.Teams = append(b.Teams, pp.team(t.Metadata.Name))
		for _, mem := range t.Spec.Members {
			inTeams[mem] = append(inTeams[mem], t.Metadata.Name)
		}
	}
	for _, p := range sortedPeople(m) {
		n := p.Metadata.Name
		b.People = append(b.People, PersonEntry{Contact: pp.Person(n), Teams: inTeams[n], Plans: named[n]})
	}
	for _, p := range m.Providers {
		pv := Provider{Name: p.Metadata.Name, Title: p.Metadata.Title, Type: p.Spec.Type,
			Criticality: p.Spec.Criticality, Contract: p.Spec.Contract, Contacts: p.Spec.Contacts}
		if pv.Title == "" {
			pv.Title = pv.Name
		}
		b.Providers = append(b.Providers, pv)
	}
	return b, nil
}

// Write renders the binder of m to w.
func Write(w io.Writer, m *model.Model, opts Options) error {
	b, err := New(m, opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := page.ExecuteTemplate(&buf, "binder", b); err != nil {
		return fmt.Errorf("render the binder: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// page is the binder's template; it is parsed once, and a template that does not parse is a
// programmer error any test finds.
var page = template.Must(template.New("binder.html").Funcs(Funcs()).ParseFS(files, "binder.html"))

// phoneInText is an international phone number inside free text: a "+", a country code and
// groups of digits (one in parentheses at most once each), each after one space or dash:
// "+49 800 555 0400", "+1 (555) 010-2000". It may run into digits that follow the number
// ("+49 800 555 0400 2026"): phoneGroups trims those by E.164's 15 digits.
var (
	phoneInText = regexp.MustCompile(`\+\d{1,3}(?:[ -]?(?:\(\d{1,5}\)|\d{1,5}))+`)
	phoneGroup  = regexp.MustCompile(`\d+`)
)

// phoneEnd is where a matched number ends once groups past 15 digits are left out; 0 when it
// has fewer than 7, too few to be a number worth calling.
func phoneEnd(num string) int {
	digits, end := 0, 0
	for _, g := range phoneGroup.FindAllStringIndex(num, -1) {
		if digits+g[1]-g[0] > 15 {
			break
		}
		digits += g[1] - g[0]
		end = g[1]
		if end < len(num) && num[end] == ')' {
			end++
		}
	}
	if digits < 7 {
		return 0
	}
	return end
}

// LinkPhones escapes free text (a message template, a note) for HTML and makes each
// international phone number in it a tel: link: "call the NOC on +49 800 555 0400" can be
// called with a tap from the binder or the plan page.
func LinkPhones(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range phoneInText.FindAllStringIndex(text, -1) {
		end := phoneEnd(text[m[0]:m[1]])
		if end == 0 {
			continue
		}
		num := text[m[0] : m[0]+end]
		b.WriteString(template.HTMLEscapeString(text[last:m[0]]))
		fmt.Fprintf(&b, `<a class="nowrap" href="%s">%s</a>`, Tel(num), template.HTMLEscapeString(num))
		last = m[0] + end
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String())
}

// Funcs are the template functions the binder's template uses; the web pages that show
// plans use them too.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"binderDur": Dur,
		// binderPct writes a percentage for a style attribute: 12.5 → "12.5%".
		"binderPct": func(f float64) template.CSS {
			return template.CSS(fmt.Sprintf("%g%%", f))
		},
		"binderAck": func(i int, ack int64) string {
			if i == 0 {
				return "first"
			}
			if ack == 0 {
				return "next"
			}
			return "after " + Dur(int64(i)*ack)
		},
		"binderAdd1": func(i int) int { return i + 1 },
		// binderTel is a phone number as a tel: URL, so that a responder reading the binder
		// on a phone calls with a tap.
		"binderTel":    Tel,
		"binderPhones": LinkPhones,
		"binderDate":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	}
}
