package extract_test

import (
	"bytes"
	"fmt"

	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/internal/docxtest"
	"github.com/figcheck/figcheck/rules"
)

// A report in its own words: the figures are read by the indicators'
// names, units and aliases, "其中" parts and all.
func ExampleExtract() {
	rs, err := rules.LoadFS(configs.Forms, "forms", "embedded")
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := rs.Form("edu_sports_halfyear")
	res := extract.Extract(f, "新开工幼儿园7所，其中已竣工4所。举办观摩课132节、教研活动58次。安排标准化建设资金3,850万元。")
	for _, id := range []string{"kindergartens_started", "kindergartens_completed", "demo_lessons", "teaching_seminars", "standardization_funds"} {
		ind, _ := f.Indicator(id)
		fmt.Printf("%s %v%s\n", ind.Name, res.Figures[id].Value, ind.Unit)
	}
	// Output:
	// 开工建设幼儿园数 7所
	// 竣工幼儿园数 4所
	// 教学观摩课节数 132节
	// 教学研讨活动次数 58次
	// 标准化建设投入资金 3850万元
}

// A Word document's paragraphs and tables become lines of text, a table
// row's cells separated by tabs.
func ExampleReadDocx() {
	doc := docxtest.Docx(docxtest.Para("一、安全稳定") + docxtest.Table([]string{"应急演练", "142次"}, []string{"消防演练", "58次"}))
	text, err := extract.ReadDocx(bytes.NewReader(doc), int64(len(doc)), extract.DocxLimits{XML: 1 << 20, Text: 1 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", text)
	// Output:
	// "一、安全稳定\n应急演练\t142次\n消防演练\t58次\n"
}
