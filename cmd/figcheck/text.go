package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

var verdictText = map[string]string{checker.Pass: "通过", checker.Warn: "有警告", checker.Fail: "不通过"}

// writeText prints a result for people: the verdict, then every violation
// grouped by severity with the Chinese names, values and units involved.
func writeText(w io.Writer, f *rules.Form, r *checker.Result) {
	fmt.Fprintf(w, "%s %s %s — %s\n", f.Title, r.Unit, r.Period, verdictText[r.Verdict])
	s := r.Summary
	fmt.Fprintf(w, "规则 %d 条：通过 %d，错误 %d，警告 %d，提示 %d，已说明 %d，跳过 %d，无法计算 %d\n",
		s.Rules, s.Passed, s.Errors, s.Warnings, s.Infos, s.Explained, s.Skipped, s.EvalErrors)
	groups := []struct {
		title string
		keep  func(checker.Violation) bool
	}{
		{"错误", func(v checker.Violation) bool { return v.Severity == rules.SevError }},
		{"警告", func(v checker.Violation) bool { return v.Severity == rules.SevWarning && !v.Explained }},
		{"已说明的警告", func(v checker.Violation) bool { return v.Explained }},
		{"提示", func(v checker.Violation) bool { return v.Severity == rules.SevInfo }},
	}
	for _, g := range groups {
		var vs []checker.Violation
		for _, v := range r.Violations {
			if g.keep(v) {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s（%d）：\n", g.title, len(vs))
		for _, v := range vs {
			fmt.Fprintf(w, "  [%s] %s\n", v.Rule, v.Message)
			if fields := describeFields(f, v.Fields); fields != "" {
				fmt.Fprintf(w, "      %s\n", fields)
			}
			if v.Explained {
				fmt.Fprintf(w, "      说明：%s\n", v.Explanation)
			}
		}
	}
	if len(r.EvalErrors) > 0 {
		fmt.Fprintf(w, "\n无法计算的规则（%d）：\n", len(r.EvalErrors))
		for _, e := range r.EvalErrors {
			fmt.Fprintf(w, "  [%s] %s：%s\n      %s\n", e.Rule, e.Name, e.Error, describeFields(f, e.Fields))
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "\n跳过的规则（%d）：\n", len(r.Skipped))
		for _, sk := range r.Skipped {
			why := "前提条件不满足"
			switch sk.Reason {
			case checker.SkipMissing:
				why = "缺少 " + names(f, sk.Missing)
				if len(sk.Invalid) > 0 {
					why += "；无效 " + names(f, sk.Invalid)
				}
			case checker.SkipInvalid:
				why = "数值无效 " + names(f, sk.Invalid)
			}
			fmt.Fprintf(w, "  [%s] %s：%s\n", sk.Rule, sk.Name, why)
		}
	}
}

// describeFields prints 「name」=value unit for each field, in form order.
func describeFields(f *rules.Form, fields map[string]any) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		label, unit := label(f, k)
		if fields[k] == nil {
			parts = append(parts, label+"未填写")
			continue
		}
		v := rules.FormatValue(fields[k])
		if r, _ := utf8.DecodeLastRuneInString(v); r < '0' || r > '9' {
			unit = "" // typed with its unit ("37.5公里"): written once
		}
		parts = append(parts, fmt.Sprintf("%s=%s%s", label, v, unit))
	}
	return strings.Join(parts, "，")
}

func label(f *rules.Form, key string) (label, unit string) {
	ind, prev, ok := f.Resolve(key)
	if !ok {
		return key, ""
	}
	if prev {
		return "上期「" + ind.Name + "」", ind.Unit
	}
	return "「" + ind.Name + "」", ind.Unit
}

func names(f *rules.Form, keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i], _ = label(f, k)
	}
	return strings.Join(out, "、")
}
