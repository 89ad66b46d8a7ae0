package examples

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

// Source is the name the demo's model folder is stored under.
const Source = "demo"

// webManaged are the files whose objects the demo stores as edited in the web UI rather than
// as a managed folder: at Northwind the business owners keep their impact analysis in
// Perdura, while IT keeps services, sites and plans in git. That makes the demo show both
// kinds of object, and gives the editing forms something to edit.
var webManaged = map[string]bool{"functions.yaml": true}

// Seed stores the demo organisation in c: every file but the business functions as the
// folder Source, then each business function as if edited through the web UI.
func Seed(ctx context.Context, c *catalog.Catalog, user string) error {
	var files, web []catalog.File
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS, p)
		if err != nil {
			return err
		}
		f := catalog.File{Path: "examples/" + p, Content: b}
		if webManaged[p] {
			web = append(web, f)
		} else {
			files = append(files, f)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the embedded demo: %w", err)
	}
	if _, err := c.Apply(ctx, catalog.Actor{User: user, Door: catalog.DoorFile}, Source, files, false); err != nil {
		return fmt.Errorf("store the demo organisation: %w", err)
	}
	for _, f := range web {
		objs, probs := model.Decode(f.Path, f.Content)
		if len(probs) > 0 {
			return fmt.Errorf("decode %s: %v", f.Path, probs)
		}
		for _, o := range objs {
			doc, err := catalog.Canonical(o)
			if err != nil {
				return err
			}
			if _, err := c.Put(ctx, catalog.Actor{User: user, Door: catalog.DoorWeb}, doc, nil); err != nil {
				return fmt.Errorf("store %s: %w", f.Path, err)
			}
		}
	}
	return nil
}
