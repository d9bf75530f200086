package api

import (
	"net/http"

	"github.com/figcheck/figcheck/rules"
	"github.com/gin-gonic/gin"
)

type formSummary struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Version    string `json:"version"`
	Indicators int    `json:"indicators"`
	Rules      int    `json:"rules"`
}

func (s *Server) listForms(c *gin.Context) {
	rs, ok := s.rulesetOr503(c)
	if !ok {
		return
	}
	out := []formSummary{}
	for _, id := range rs.FormIDs() {
		f, _ := rs.Form(id)
		out = append(out, formSummary{f.ID, f.Title, f.Digest, len(f.Indicators), len(f.Rules)})
	}
	c.JSON(http.StatusOK, gin.H{"ruleset": rs.Digest, "forms": out})
}

// form is the form named in the path, from the ruleset being served.
func (s *Server) form(c *gin.Context) (*rules.Form, bool) {
	return s.formByID(c, c.Param("form"))
}

// formByID looks a form up in the ruleset being served; on failure it has
// answered 503 (no ruleset) or 404 (unknown form).
func (s *Server) formByID(c *gin.Context, id string) (*rules.Form, bool) {
	rs, ok := s.rulesetOr503(c)
	if !ok {
		return nil, false
	}
	return formIn(c, rs, id)
}

// formIn is formByID for a ruleset the caller already holds.
func formIn(c *gin.Context, rs *rules.Ruleset, id string) (*rules.Form, bool) {
	f, ok := rs.Form(id)
	if !ok {
		fail(c, http.StatusNotFound, CodeUnknownForm, "unknown form "+quote(id), gin.H{"forms": rs.FormIDs()})
		return nil, false
	}
	return f, true
}

func (s *Server) getForm(c *gin.Context) {
	f, ok := s.form(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"id": f.ID, "title": f.Title, "version": f.Digest, "indicators": f.Indicators, "rules": len(f.Rules),
	})
}

type ruleInfo struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Severity rules.Severity `json:"severity"`
	Expr     string         `json:"expr"`
	When     string         `json:"when,omitempty"`
	Message  string         `json:"message"`
	Tags     []string       `json:"tags,omitempty"`
	Fields   []string       `json:"fields"`
	Previous []string       `json:"previous_fields,omitempty"`
}

func (s *Server) getRules(c *gin.Context) {
	f, ok := s.form(c)
	if !ok {
		return
	}
	out := make([]ruleInfo, 0, len(f.Rules))
	for _, r := range f.Rules {
		ri := ruleInfo{ID: r.ID, Name: r.Name, Severity: r.Severity, Expr: r.Expr, When: r.When,
			Message: r.Message.Source, Tags: r.Tags, Fields: []string{}}
		for _, ind := range r.Uses {
			ri.Fields = append(ri.Fields, ind.ID)
		}
		for _, ind := range r.UsesPrevious {
			ri.Previous = append(ri.Previous, ind.ID)
		}
		out = append(out, ri)
	}
	c.JSON(http.StatusOK, gin.H{"form": f.ID, "version": f.Digest, "rules": out})
}

func (s *Server) rulesetOr503(c *gin.Context) (*rules.Ruleset, bool) {
	rs := s.ruleset.Load()
	if rs == nil {
		fail(c, http.StatusServiceUnavailable, CodeNoRuleset, "no ruleset is loaded; fix the form files and reload")
		return nil, false
	}
	return rs, true
}
