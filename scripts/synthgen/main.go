// Command synthgen writes a synthetic estate (internal/synth) as a model folder, a CSV edge
// list, or both, for the lint and load benchmarks and for loading the graph into other tools:
//
//	go run ./scripts/synthgen -services 10000 -yaml /tmp/estate
//	go run ./scripts/synthgen -nodes 100000 -csv /tmp/edges.csv
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/perdura/perdura/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "synthgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("synthgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Int64("seed", 1, "generator seed")
	nodes := fs.Int("nodes", 0, "estate size in graph nodes (services, functions, sites, providers)")
	services := fs.Int("services", 0, "estate size in services (instead of -nodes)")
	yamlDir := fs.String("yaml", "", "write the model folder here")
	csvPath := fs.String("csv", "", "write the edge list here (- for stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cfg synth.Config
	switch {
	case *nodes > 0 && *services > 0:
		return fmt.Errorf("give -nodes or -services, not both")
	case *nodes > 0:
		cfg = synth.ForNodes(*seed, *nodes)
	case *services > 0:
		cfg = synth.Config{Seed: *seed, Services: *services}
	default:
		return fmt.Errorf("give -nodes or -services")
	}
	if *yamlDir == "" && *csvPath == "" {
		return fmt.Errorf("give -yaml DIR, -csv FILE or both")
	}
	m := synth.Generate(cfg)
	if *yamlDir != "" {
		if err := synth.WriteYAML(*yamlDir, m); err != nil {
			return err
		}
	}
	if *csvPath == "-" {
		return synth.WriteCSV(os.Stdout, m)
	}
	if *csvPath != "" {
		f, err := os.Create(*csvPath)
		if err != nil {
			return err
		}
		if err := synth.WriteCSV(f, m); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}
