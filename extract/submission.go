package extract

import (
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// FromText fills sub's figures from its report text and returns the
// extraction: nil when the submission has no text, and
// checker.ErrTextAndFigures when it has both text and figures. The
// service (POST /v1/check with "text") and the CLI (check --text) both
// take text this way.
func FromText(f *rules.Form, sub *checker.Submission) (*Result, error) {
	if sub.Text == "" {
		return nil, nil
	}
	if len(sub.Figures) > 0 {
		return nil, checker.ErrTextAndFigures
	}
	res := Extract(f, sub.Text)
	sub.Figures = res.Values()
	return res, nil
}
