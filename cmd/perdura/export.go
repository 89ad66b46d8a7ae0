package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/binder"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

func newExportCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "export",
		Short: "Write documents made from the model: the plan binder",
	}
	c.AddCommand(newExportBinderCmd(e))
	return c
}

func newExportBinderCmd(e *env) *cobra.Command {
	var out, dsn, title string
	var force bool
	c := &cobra.Command{
		Use:   "binder --out FILE [PATH]",
		Short: "Write the plan binder: every plan, the contact list and call trees in one offline HTML file",
		Long: `Binder writes the plan binder: one self-contained HTML file with every plan (activation,
roles and how to reach their people, communication, the steps as a timeline against the RTO of
what the plan covers), the contact list, the call trees and the providers' contacts. It has no
scripts and loads nothing, so it can be printed, or opened from a laptop or a USB stick when
Perdura and the network are down.

The model comes from the folder PATH when one is given, else from the database (--db, as
perdura serve). --out - writes to standard output. An existing file is only replaced with
--force; the file is written beside it first and then renamed, so a binder is never left half
written. SOURCE_DATE_EPOCH, when set, is the time printed in the binder, for reproducible files.

Exit status: 0 written; 2 could not run (bad usage, a model that does not load, an existing
file without --force, a file or database that cannot be written or read).`,
		Example: "  perdura export binder --out binder.html\n  perdura export binder --out binder.html --force examples/\n  perdura export binder --out - examples/ > binder.html",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return cannot("--out FILE is required (--out - writes to standard output)")
			}
			if out != "-" {
				if fi, err := os.Stat(out); err == nil && fi.IsDir() {
					return cannot("--out %s is a folder: name the file to write", out)
				} else if err == nil && !force {
					return cannot("%s exists: use --force to replace it", out)
				}
				if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
					return cannot("cannot write %s: the folder %s does not exist", out, filepath.Dir(out))
				}
			}
			now, err := generatedAt(e)
			if err != nil {
				return err
			}
			opts := binder.Options{Generated: now, Title: title}
			var m *model.Model
			if len(args) == 1 {
				var err error
				if m, opts.Graph, err = loadForAnalysis(args[0]); err != nil {
					return err
				}
				opts.Origin = "model folder " + args[0]
			} else {
				st, err := openStore(cmd.Context(), e, dsn)
				if err != nil {
					return err
				}
				defer st.Close()
				snap, err := catalog.New(st).Snapshot(cmd.Context())
				if err != nil {
					return cannot("read the model from the database: %v", err)
				}
				if len(snap.Objects) == 0 {
					return cannot("the database holds no model: store one with `perdura apply PATH`, or give a model folder")
				}
				m, opts.Graph, opts.Generation = snap.Model, snap.Graph, snap.Generation
				opts.Origin = "database"
			}
			var buf bytes.Buffer
			if err := binder.Write(&buf, m, opts); err != nil {
				return cannot("%v", err)
			}
			if out == "-" {
				_, err := e.stdout.Write(buf.Bytes())
				return err
			}
			if err := writeAtomic(out, buf.Bytes(), force); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote the plan binder (%d plans, %d people) to %s\n", len(m.Plans), len(m.People), out)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "the file to write; - for standard output")
	c.Flags().BoolVar(&force, "force", false, "replace the file if it exists")
	c.Flags().StringVar(&title, "title", "", `the binder's title, such as the organisation's name (default "Continuity plan binder")`)
	dbFlag(c, &dsn)
	return c
}

// generatedAt is the time the binder says it was made: now, or SOURCE_DATE_EPOCH.
func generatedAt(e *env) (time.Time, error) {
	s := e.getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Now(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, cannot("SOURCE_DATE_EPOCH=%q: expected seconds since 1970", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// writeAtomic writes data to path through a temporary file in the same folder and a rename, so
// readers see the old file or the whole new one. Without replace, a file that appeared in the
// meantime is left alone.
func writeAtomic(path string, data []byte, replace bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return cannot("write %s: %v", path, err)
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return cannot("write %s: %v", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return cannot("write %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return cannot("write %s: %v", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return cannot("write %s: %v", path, err)
	}
	if !replace {
		// Link fails when path exists, so a file created since the check is not replaced.
		if err := os.Link(tmp.Name(), path); err != nil {
			if os.IsExist(err) {
				return cannot("%s exists: use --force to replace it", path)
			}
			// Some file systems have no hard links: fall back to a rename.
			if _, serr := os.Lstat(path); serr == nil {
				return cannot("%s exists: use --force to replace it", path)
			}
			if err := os.Rename(tmp.Name(), path); err != nil {
				return cannot("write %s: %v", path, err)
			}
		}
		done = true
		os.Remove(tmp.Name())
		return nil
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return cannot("write %s: %v", path, err)
	}
	done = true
	return nil
}
