package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

func newAnalyzeCmd(e *env) *cobra.Command {
	var (
		format, scenario, duration, today string
		fails                             []string
		check                             bool
	)
	c := &cobra.Command{
		Use:   "analyze [PATH]",
		Short: "Show what a failure takes down, or the estate report of single points of failure and unmet targets",
		Long: `Analyze loads the model (default: the current folder) and, given a failure (--fail kind/name,
repeatable, kinds service, site and provider) or a scenario (--scenario NAME), shows every
service and business function it takes down or degrades, when each is back, whether that meets
its RTO or MTPD, and the critical path that sets the time.

Without a failure it prints the estate report: the single points of failure of every business
function and tier 0-1 service, the worst single failure of every service and function, and the
findings the analysis makes.

Exit status: 0 done; 1 with --check when a target is missed; 2 could not run (bad usage, a
path that cannot be read, a model that does not load, a failure naming an unknown object).`,
		Example: `  perdura analyze examples/ --fail site/dc-frankfurt
  perdura analyze examples/ --scenario ransomware --format json
  perdura analyze examples/ --fail provider/payflow --duration 8h --check
  perdura analyze examples/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := oneOf(cmd, "format", format, "text", "json"); err != nil {
				return err
			}
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			m, g, err := loadForAnalysis(path)
			if err != nil {
				return err
			}
			if len(fails) == 0 && scenario == "" {
				if duration != "" {
					return cannot("--duration needs --fail or --scenario")
				}
				day, err := parseToday(cmd, today)
				if err != nil {
					return err
				}
				return estate(cmd, e, m, g, format, check, day)
			}
			f, title, err := failureFromFlags(m, fails, scenario, duration)
			if err != nil {
				return err
			}
			im, err := g.Impact(f)
			if err != nil {
				return cannot("%v", err)
			}
			if format == "json" {
				if err := writeJSON(e.stdout, im); err != nil {
					return err
				}
			} else {
				writeImpact(e.stdout, title, im)
			}
			if check && missed(im) {
				return found()
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&fails, "fail", nil, "an object that fails: service/NAME, site/NAME or provider/NAME (repeatable)")
	c.Flags().StringVar(&scenario, "scenario", "", "a scenario of the model whose failure set to use")
	c.Flags().StringVar(&duration, "duration", "", "how long failed sites and providers stay down (default: the scenario's duration, else their recovery.time)")
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	c.Flags().BoolVar(&check, "check", false, "exit 1 when a target is missed")
	c.Flags().StringVar(&today, "today", "", "date for the estate report's findings (YYYY-MM-DD; default today)")
	return c
}

// loadForAnalysis loads a model that must load cleanly: analysis of a broken model would mislead.
func loadForAnalysis(path string) (*model.Model, *analysis.Graph, error) {
	m, problems, err := model.Load(path)
	if err != nil {
		return nil, nil, cannot("%v", err)
	}
	if len(problems) > 0 {
		problems.Sort()
		var b strings.Builder
		fmt.Fprintf(&b, "%s does not load (%d problem(s)); `perdura lint %s` lists them all:", path, len(problems), path)
		for i, p := range problems {
			if i == 10 {
				fmt.Fprintf(&b, "\n  ... and %d more", len(problems)-10)
				break
			}
			b.WriteString("\n  " + p.Error())
		}
		return nil, nil, cannot("%s", b.String())
	}
	g, err := analysis.Compile(m)
	if err != nil {
		return nil, nil, cannot("%v", err)
	}
	return m, g, nil
}

// failureFromFlags builds the failure set of --fail, --scenario and --duration, checking every
// name against the model so a typo is a clear error, not an empty report.
func failureFromFlags(m *model.Model, fails []string, scenario, duration string) (analysis.Failure, string, error) {
	var f analysis.Failure
	var title []string
	if scenario != "" {
		sc := m.Scenario(scenario)
		if sc == nil {
			return f, "", cannot("--scenario %q: no such scenario%s", scenario, suggestion(scenario, names(m, model.KindScenario)))
		}
		f = analysis.ScenarioFailure(sc)
		title = append(title, "scenario "+scenario)
	}
	for _, arg := range fails {
		for _, ref := range strings.Split(arg, ",") {
			ref = strings.TrimSpace(ref)
			if err := f.Add(ref); err != nil {
				return f, "", cannot("--fail %v", err)
			}
			kind, name, _ := strings.Cut(ref, "/")
			k, _ := model.KindForPrefix(kind)
			if _, ok := m.Get(k, name); !ok {
				return f, "", cannot("--fail %q: no %s named %q%s", ref, k, name, suggestion(name, names(m, k)))
			}
			title = append(title, ref)
		}
	}
	if duration != "" {
		d, err := model.ParseDuration(duration)
		if err != nil {
			return f, "", cannot("--duration %q: %v", duration, err)
		}
		f.Duration = &d
	}
	t := strings.Join(title, ", ")
	if f.Duration != nil {
		t += fmt.Sprintf(" (failed sites and providers down for %s)", f.Duration)
	}
	return f, t, nil
}

// names lists the names of a kind's objects, for suggestions.
func names(m *model.Model, k model.Kind) []string {
	var out []string
	for _, o := range m.Objects() {
		if o.Kind() == k {
			out = append(out, o.Meta().Name)
		}
	}
	return out
}

// suggestion says "; did you mean X?" when a name is close to one that exists.
func suggestion(name string, candidates []string) string {
	if s, ok := model.Nearest(name, candidates); ok {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// missed reports whether any impacted object misses its target.
func missed(im *analysis.Impact) bool {
	for _, l := range [][]analysis.ObjectImpact{im.Services, im.Functions} {
		for _, o := range l {
			if o.Meets != nil && !*o.Meets {
				return true
			}
		}
	}
	return false
}

// writeImpact prints the impact of a failure for people: a table per kind, then the critical
// path of every miss.
func writeImpact(w io.Writer, title string, im *analysis.Impact) {
	fmt.Fprintf(w, "Failure: %s\n", title)
	if len(im.Services)+len(im.Functions) == 0 {
		fmt.Fprintln(w, "\nNothing else goes down or is degraded.")
		return
	}
	table := func(heading, target string, objs []analysis.ObjectImpact) {
		if len(objs) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n", heading)
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintf(tw, "  NAME\tSTATE\tBACK AFTER\t%s\tVERDICT\n", target)
		for _, o := range objs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", o.Name, o.State, upText(o.Recoverable, o.UpSeconds),
				optSeconds(o.TargetSeconds), verdict(o.Recoverable, o.UpSeconds, o.TargetSeconds, o.Meets))
		}
		tw.Flush()
	}
	table("Services", "RTO", im.Services)
	table("Business functions", "MTPD", im.Functions)
	var misses []analysis.ObjectImpact
	for _, l := range [][]analysis.ObjectImpact{im.Services, im.Functions} {
		for _, o := range l {
			if o.Meets != nil && !*o.Meets {
				misses = append(misses, o)
			}
		}
	}
	if len(misses) > 0 {
		fmt.Fprintf(w, "\nMissed targets and their critical paths\n")
		for _, o := range misses {
			kind := "service"
			if o.Function {
				kind = "function"
			}
			fmt.Fprintf(w, "  %s/%s: back after %s, target %s\n    %s\n", kind, o.Name,
				upText(o.Recoverable, o.UpSeconds), optSeconds(o.TargetSeconds), strings.Join(o.CriticalPath, " -> "))
		}
	}
}

// estate prints the estate report: text for people, JSON as CONTRACT.md sets out.
func estate(cmd *cobra.Command, e *env, m *model.Model, g *analysis.Graph, format string, check bool, day time.Time) error {
	est := g.Estate(cmd.Context())
	var findings []lint.Finding
	for _, f := range lint.Run(m, g, lint.Options{Today: day, Estate: est}) {
		if lint.FromAnalysis(f.Rule) {
			findings = append(findings, f)
		}
	}
	if findings == nil {
		findings = []lint.Finding{}
	}
	if format == "json" {
		if err := writeJSON(e.stdout, struct {
			*analysis.Estate
			Findings []lint.Finding `json:"findings"`
		}{est, findings}); err != nil {
			return err
		}
	} else {
		writeEstate(e.stdout, est, findings)
	}
	if check {
		for _, w := range est.Worst {
			if w.Meets != nil && !*w.Meets {
				return found()
			}
		}
	}
	return nil
}

func writeEstate(w io.Writer, est *analysis.Estate, findings []lint.Finding) {
	fmt.Fprintf(w, "Single points of failure (business functions and tier 0-1 services)\n")
	if len(est.SPOFs) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, s := range est.SPOFs {
		fmt.Fprintf(w, "  %s\n    %s\n", s.Object, strings.Join(s.Causes, ", "))
	}
	fmt.Fprintf(w, "\nWorst single failure of each service and business function\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  OBJECT\tWORST FAILURE\tBACK AFTER\tTARGET\tVERDICT\n")
	for _, x := range est.Worst {
		cause := "-"
		if x.Cause != nil {
			cause = *x.Cause
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", x.Object, cause, upText(x.Recoverable, x.UpSeconds),
			optSeconds(x.TargetSeconds), verdict(x.Recoverable, x.UpSeconds, x.TargetSeconds, x.Meets))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nFindings\n")
	if len(findings) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, f := range findings {
		fmt.Fprintf(w, "  %s\n", formatFinding(f))
	}
}

func upText(recoverable bool, up *int64) string {
	if !recoverable || up == nil {
		return "never"
	}
	return seconds(*up)
}

func optSeconds(s *int64) string {
	if s == nil {
		return "-"
	}
	return seconds(*s)
}

func verdict(recoverable bool, up, target *int64, meets *bool) string {
	switch {
	case meets == nil:
		return "no target"
	case *meets:
		return "ok"
	case !recoverable || up == nil:
		return "MISSED: unrecoverable"
	default:
		return "MISSED by " + seconds(*up-*target)
	}
}

func seconds(s int64) string { return model.Duration(time.Duration(s) * time.Second).String() }
