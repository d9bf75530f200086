package api

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestBatch(t *testing.T) {
	s := newTestServer(t, nil)
	pass := fullSubmission(t)
	failing := fullSubmission(t)
	failing["unit"] = "第二单位"
	failing["figures"].(map[string]any)["gold_medals"] = 99
	warning := fullSubmission(t)
	warning["unit"] = "第三单位"
	warning["figures"].(map[string]any)["regular_exercise_rate"] = 95

	items := []json.RawMessage{
		mustJSON(t, pass),
		json.RawMessage(`{"form":"nope","unit":"x"}`),
		mustJSON(t, failing),
		json.RawMessage(`{"unit":"no form"}`),
		json.RawMessage(`"not an object"`),
		mustJSON(t, warning),
		mustJSON(t, pass), // the same submission again: a cache hit
	}
	r := s.postJSON("/v1/check/batch", mustJSON(t, items))
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, trunc(r.Body))
	}
	var out struct {
		Summary batchSummary     `json:"summary"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("%v: %s", err, trunc(r.Body))
	}
	want := batchSummary{Items: 7, Pass: 2, Warn: 1, Fail: 1, Invalid: 3}
	if out.Summary != want {
		t.Fatalf("summary %+v, want %+v", out.Summary, want)
	}
	if len(out.Results) != len(items) {
		t.Fatalf("%d results for %d items", len(out.Results), len(items))
	}
	// Input order is kept; a bad item has its own error entry with its index.
	type expect struct {
		verdict, code, unit string
		cached              bool
	}
	for i, e := range []expect{
		{verdict: "pass", unit: "示例区教育体育局"},
		{code: CodeUnknownForm},
		{verdict: "fail", unit: "第二单位"},
		{code: CodeMissingForm},
		{code: CodeMalformedJSON},
		{verdict: "warn", unit: "第三单位"},
		{verdict: "pass", unit: "示例区教育体育局", cached: true},
	} {
		got := out.Results[i]
		if e.code != "" {
			errObj, _ := got["error"].(map[string]any)
			if errObj == nil || errObj["code"] != e.code || errObj["message"] == "" || got["index"] != float64(i) {
				t.Errorf("item %d: want error %s with index, got %v", i, e.code, got)
			}
			continue
		}
		if got["verdict"] != e.verdict || got["unit"] != e.unit || got["cached"] != e.cached {
			t.Errorf("item %d: want %+v, got verdict=%v unit=%v cached=%v", i, e, got["verdict"], got["unit"], got["cached"])
		}
	}
	if out.Results[0]["check_id"] != out.Results[6]["check_id"] {
		t.Errorf("same submission, different check ids")
	}

	t.Run("empty batch", func(t *testing.T) {
		r := s.postJSON("/v1/check/batch", []byte(`[]`))
		var out struct {
			Summary batchSummary `json:"summary"`
			Results []any        `json:"results"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != 200 || out.Summary.Items != 0 || out.Results == nil {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("null batch", func(t *testing.T) {
		// null decodes into a nil slice: an empty batch, not a 500.
		if r := s.postJSON("/v1/check/batch", []byte(`null`)); r.Status >= 500 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}
