package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/lint"
)

func newApplyCmd(e *env) *cobra.Command {
	var dsn, source, server, token string
	var prune bool
	c := &cobra.Command{
		Use:   "apply [PATH]",
		Short: "Store a model folder in the database, all or nothing",
		Long: `Apply loads the model folder (default: the current folder), refuses it if it does not load or
would leave the stored model with lint errors, and otherwise stores it in one transaction: all
or nothing. Its objects carry the source name (--source, default the folder's name); an object
that a source manages can then only be changed by applying that source again. --prune deletes
the source's objects that the folder no longer holds.

Without --server it writes the local database (--db); with --server URL --token T it sends the
folder to a running Perdura.

Exit status: 0 applied (or nothing to change), 1 refused for lint errors, 2 could not run (bad
usage, unreadable path, a model that does not load, a server or database that cannot be reached).`,
		Example: "  perdura apply examples/\n  perdura apply models/ --source prod-model --prune --server https://perdura.example.com --token $PERDURA_TOKEN",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			files, err := readModelFiles(path)
			if err != nil {
				return err
			}
			if source == "" {
				abs, _ := filepath.Abs(path)
				source = filepath.Base(abs)
			}
			var res catalog.ApplyResult
			if server != "" {
				if token == "" {
					return cannot("--server needs --token (or PERDURA_TOKEN)")
				}
				res, err = applyRemote(cmd, server, token, source, files, prune)
			} else {
				st, oerr := openStore(cmd.Context(), e, dsn)
				if oerr != nil {
					return oerr
				}
				defer st.Close()
				res, err = catalog.New(st).Apply(cmd.Context(), catalog.Actor{User: localUser(e.getenv), Door: catalog.DoorFile}, source, files, prune)
			}
			if err != nil {
				return applyError(e, err)
			}
			fmt.Fprintf(e.stdout, "applied %s as source %q: %d created, %d updated, %d unchanged, %d deleted\n",
				path, res.Source, len(res.Created), len(res.Updated), res.Unchanged, len(res.Deleted))
			for _, l := range []struct {
				verb string
				refs []string
			}{{"created", res.Created}, {"updated", res.Updated}, {"deleted", res.Deleted}} {
				for _, r := range l.refs {
					fmt.Fprintf(e.stdout, "  %s %s\n", l.verb, r)
				}
			}
			return nil
		},
	}
	dbFlag(c, &dsn)
	c.Flags().StringVar(&source, "source", "", "the source name the objects carry (default: the folder's name)")
	c.Flags().BoolVar(&prune, "prune", false, "delete objects of this source that the folder no longer holds")
	c.Flags().StringVar(&server, "server", "", "the URL of a Perdura server to apply to instead of the local database")
	c.Flags().StringVar(&token, "token", "", "an API token of an editor or admin, for --server")
	return c
}

// readModelFiles reads a model folder's (or one file's) YAML files as they are, for the
// catalog to decode with their paths, so problems name the user's files and lines.
func readModelFiles(path string) ([]catalog.File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, cannot("read model: %v", err)
	}
	var files []catalog.File
	read := func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, catalog.File{Path: p, Content: b})
		return nil
	}
	if !info.IsDir() {
		return files, read(path)
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Size() > 8<<20 {
			return fmt.Errorf("%s: file too large (over 8 MiB)", p)
		}
		return read(p)
	})
	if err != nil {
		return nil, cannot("read model: %v", err)
	}
	return files, nil
}

// applyError prints why an apply was refused, problem by problem, and picks the exit code.
func applyError(e *env, err error) error {
	ve, ok := catalog.IsValidation(err)
	if !ok {
		if errors.Is(err, catalog.ErrManaged) {
			return cannot("%v", err)
		}
		return cannot("apply: %v", err)
	}
	loads := false
	for _, p := range ve.Problems {
		loc := p.File
		if p.Line > 0 {
			loc = fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
		}
		if loc == "" {
			loc = p.Object
			if p.Pointer != "" {
				loc += " " + p.Pointer
			}
		}
		fmt.Fprintf(e.stdout, "%s: error: %s [%s]\n", loc, p.Message, p.Rule)
		if !lintRule(p.Rule) {
			loads = true
		}
	}
	if loads {
		return cannot("apply refused: the model does not load (%d problem(s)); nothing was stored", len(ve.Problems))
	}
	fmt.Fprintf(e.stderr, "perdura: apply refused: %d lint error(s); nothing was stored\n", len(ve.Problems))
	return found()
}

// lintRule tells the linter's rules from the loader's.
func lintRule(rule string) bool {
	for _, r := range lint.Rules() {
		if r.Name == rule {
			return true
		}
	}
	return false
}

// applyRemote sends the folder to a server's POST /api/v1/apply.
func applyRemote(cmd *cobra.Command, server, token, source string, files []catalog.File, prune bool) (catalog.ApplyResult, error) {
	type file struct {
		Path    string `json:"path"`
		Content string `json:"content"`
	}
	body := struct {
		Source string `json:"source"`
		Prune  bool   `json:"prune"`
		Files  []file `json:"files"`
	}{Source: source, Prune: prune}
	for _, f := range files {
		body.Files = append(body.Files, file{f.Path, string(f.Content)})
	}
	b, err := json.Marshal(body)
	if err != nil {
		return catalog.ApplyResult{}, err
	}
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, strings.TrimRight(server, "/")+"/api/v1/apply", bytes.NewReader(b))
	if err != nil {
		return catalog.ApplyResult{}, cannot("--server %q: %v", server, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return catalog.ApplyResult{}, cannot("reach %s: %v", server, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode == http.StatusOK {
		var res catalog.ApplyResult
		if err := json.Unmarshal(data, &res); err != nil {
			return res, cannot("the server's answer is not an apply result: %v", err)
		}
		return res, nil
	}
	var problem struct {
		Title    string            `json:"title"`
		Detail   string            `json:"detail"`
		Problems []catalog.Problem `json:"errors"` // RFC 9457 extension: every model problem
	}
	_ = json.Unmarshal(data, &problem)
	if resp.StatusCode == http.StatusUnprocessableEntity && len(problem.Problems) > 0 {
		return catalog.ApplyResult{}, &catalog.ValidationError{Problems: problem.Problems}
	}
	msg := problem.Detail
	if msg == "" {
		msg = problem.Title
	}
	if msg == "" {
		msg = strings.TrimSpace(string(data))
	}
	return catalog.ApplyResult{}, fmt.Errorf("%s answered %s: %s", server, resp.Status, msg)
}
