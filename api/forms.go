package api

import (
	"errors"
	"net/http"

	"github.com/figcheck/figcheck/checker"
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

func (s *Server) listForms(c *gin.Context) error {
	rs, err := s.rulesetOr503()
	if err != nil {
		return err
	}
	out := []formSummary{}
	for _, id := range rs.FormIDs() {
		f, _ := rs.Form(id)
		out = append(out, formSummary{f.ID, f.Title, f.Digest, len(f.Indicators), len(f.Rules)})
	}
	c.JSON(http.StatusOK, gin.H{"ruleset": rs.Digest, "forms": out})
	return nil
}

// form is the form named in the path, from the ruleset being served.
func (s *Server) form(c *gin.Context) (*rules.Form, error) {
	return s.formByID(c.Param("form"))
}

// formByID looks a form up in the ruleset being served: the one lookup of
// check, extract, audit and forms. The error is no_ruleset or unknown_form.
func (s *Server) formByID(id string) (*rules.Form, error) {
	rs, err := s.rulesetOr503()
	if err != nil {
		return nil, err
	}
	return formIn(rs, id)
}

// formIn is formByID for a ruleset the caller already holds.
func formIn(rs *rules.Ruleset, id string) (*rules.Form, error) {
	f, ok := rs.Form(id)
	if !ok {
		return nil, apiError(CodeUnknownForm, "unknown form "+quote(id), gin.H{"forms": rs.FormIDs()})
	}
	return f, nil
}

// onlyForm is the form named by id or, when id is empty, the only form
// loaded: the default of the batch audit and of the CLI.
func onlyForm(rs *rules.Ruleset, id, how string) (*rules.Form, error) {
	f, err := checker.FormOrOnly(rs, id)
	switch {
	case errors.Is(err, checker.ErrMissingForm):
		return nil, apiError(CodeMissingForm, "give the form as "+how, gin.H{"forms": rs.FormIDs()})
	case err != nil:
		return formIn(rs, id)
	}
	return f, nil
}

func (s *Server) getForm(c *gin.Context) error {
	f, err := s.form(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{
		"id": f.ID, "title": f.Title, "version": f.Digest, "indicators": f.Indicators, "rules": len(f.Rules),
	})
	return nil
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

func (s *Server) getRules(c *gin.Context) error {
	f, err := s.form(c)
	if err != nil {
		return err
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
	return nil
}

// rulesetOr503 is the ruleset being served, or the no_ruleset error.
func (s *Server) rulesetOr503() (*rules.Ruleset, error) {
	rs := s.ruleset.Load()
	if rs == nil {
		return nil, apiError(CodeNoRuleset, "no ruleset is loaded; fix the form files and reload")
	}
	return rs, nil
}
