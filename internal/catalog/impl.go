package catalog

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/perdura/perdura/internal/model"
)

// snapshotCache holds the last snapshot; a generation check decides whether it is current.
type snapshotCache struct {
	mu   sync.Mutex
	last *Snapshot
}

var errTODO = errors.New("catalog: not implemented yet")

func (c *Catalog) snapshot(ctx context.Context) (*Snapshot, error) { return nil, errTODO }
func (c *Catalog) apply(ctx context.Context, a Actor, source string, files []File, prune bool) (ApplyResult, error) {
	return ApplyResult{}, errTODO
}
func (c *Catalog) put(ctx context.Context, a Actor, document []byte, ifRevision *int64) (Object, error) {
	return Object{}, errTODO
}
func (c *Catalog) delete(ctx context.Context, a Actor, kind model.Kind, name string, ifRevision *int64) error {
	return errTODO
}
func (c *Catalog) diff(ctx context.Context, kind model.Kind, name string, from, to int64) (string, error) {
	return "", errTODO
}

func itoa(n int) string { return strconv.Itoa(n) }
