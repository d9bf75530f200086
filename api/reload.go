package api

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/figcheck/figcheck/rules"
	"github.com/fsnotify/fsnotify"
	"github.com/gin-gonic/gin"
)

// Reload builds a whole new ruleset and swaps it in. On any error the
// ruleset being served stays and the error lists every problem. Reloads
// are serialised; requests never wait for one.
func (s *Server) Reload() (*rules.Ruleset, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	rs, err := s.load()
	if err != nil {
		s.metrics.reloadSuccess.Set(0)
		return nil, err
	}
	old := s.ruleset.Swap(rs)
	s.metrics.reloadSuccess.Set(1)
	s.metrics.reloadTime.Set(float64(time.Now().UnixNano()) / 1e9)
	s.metrics.rulesetSwapped(old, rs)
	if old == nil || old.Digest != rs.Digest {
		s.log.Info("ruleset loaded", "digest", rs.Digest, "forms", len(rs.Forms))
	}
	return rs, nil
}

func (s *Server) reload(c *gin.Context) error {
	rs, err := s.Reload()
	if err != nil {
		problems := rules.Problems(err)
		details := make([]any, len(problems))
		for i, p := range problems {
			details[i] = p.Error()
		}
		s.log.Warn("reload failed; keeping the previous ruleset", "problems", len(problems))
		return &Error{Code: CodeReloadFailed, Message: "the new rules did not load; the previous ruleset is still served", Details: details, Err: err}
	}
	c.JSON(http.StatusOK, gin.H{"status": "reloaded", "ruleset": rs.Digest, "forms": rs.FormIDs()})
	return nil
}

// Watch reloads whenever a file below the rules directory changes, until
// ctx ends. Bursts of events (an editor saving, a ConfigMap swap) are
// folded into one reload.
func (s *Server) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	add := func() {
		_ = filepath.WalkDir(s.cfg.Rules, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = w.Add(p)
			}
			return nil
		})
	}
	if _, err := os.Stat(s.cfg.Rules); err != nil {
		return err
	}
	add()
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op&fsnotify.Create != 0 {
				add() // a new directory, or Kubernetes' ..data symlink swap
			}
			timer = time.After(250 * time.Millisecond)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.log.Warn("watching rules", "err", err)
		case <-timer:
			timer = nil
			if _, err := s.Reload(); err != nil {
				s.log.Warn("reload after a file change failed; keeping the previous ruleset", "err", err)
			}
		}
	}
}
