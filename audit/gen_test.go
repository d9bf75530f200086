package audit

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/rules"
)

// shippedForm loads the shipped form from the source tree.
func shippedForm(t testing.TB) *rules.Form {
	t.Helper()
	rs, err := configs.LoadRules("../configs/forms")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rs.Form("edu_sports_halfyear")
	if !ok {
		t.Fatal("no edu_sports_halfyear form")
	}
	return f
}

// extraBase fills the indicators no rule test gives a passing value for.
var extraBase = map[string]float64{
	"vanguard_posts": 45, "responsibility_zones": 60, "integrity_letters": 130, "integrity_talks": 240,
	"school_districts": 12, "model_high_schools": 3, "featured_high_schools": 5, "new_majors": 6,
	"adjusted_majors": 4, "major_match_rate": 85.5, "sports_parks": 3, "fitness_centers": 2,
	"fitness_monitoring_samples": 2400, "coaches_trained": 36, "athletes_selected": 150,
	"new_sports_enterprises": 14, "sports_industry_events": 3, "surroundings_campaigns": 8,
	"planned_new_places": 1200,
}

// fixed are figures every unit reports at the template's level; they do not
// scale with the unit's size (a city has a few special schools, whatever
// the district's size).
var fixed = map[string]bool{
	"special_ed_per_pupil_funding": true, "special_ed_majors": true, "sports_area_per_capita": true,
	"benke_rate_delta": true, "tier1_rate_delta": true, "special_schools_improved": true,
}

// baseFigures is one plausible, rule-abiding set of figures: the passing
// values of the shipped rule tests, completed.
func baseFigures(t testing.TB, f *rules.Form) map[string]float64 {
	t.Helper()
	base := map[string]float64{}
	for _, r := range f.Rules {
		for _, tc := range r.Tests {
			if tc.Expect != rules.ExpectPass {
				continue
			}
			for k, v := range tc.Figures {
				if _, ok := base[k]; ok {
					continue
				}
				if x, err := checker.Normalize(v, rules.Number); err == nil {
					base[k] = x
				}
			}
		}
	}
	for k, v := range extraBase {
		base[k] = v
	}
	for _, ind := range f.Indicators {
		if _, ok := base[ind.ID]; !ok {
			t.Fatalf("no base value for %s", ind.ID)
		}
	}
	return base
}

// genRow is one generated row.
type genRow struct {
	unit, period string
	vals         map[string]float64
	text         map[string]string // cells written as text instead (placeholders)
}

type generator struct {
	t     testing.TB
	f     *rules.Form
	base  map[string]float64
	fixed map[string]bool
	rng   *rand.Rand
	check checker.Checker
	// The clean units' sizes are stratified over the range: unit k of n
	// falls in the k-th n-th of it; a planted unit (stratum < 0) is drawn
	// anywhere in it.
	stratum, strata int
	// jump, total and placeholder are the indicators of those plants;
	// typo those the ×10 typo may hit.
	jump, total, placeholder string
	typo                     []string
	// lo and span are the range of the units' sizes: lo to lo·span times
	// the template's.
	lo, span float64
}

// sizeLo and sizeSpan are the default range of the units' sizes: 0.15
// to 6 times the template's, a span of 40 (a big urban district beside
// small counties).
const (
	sizeLo   = 0.15
	sizeSpan = 40.0
)

// decade narrows the sizes to 0.3–3 times the template's, the batches of
// the first planted sweep.
func (g *generator) decade() *generator {
	g.lo, g.span = 0.3, 10
	return g
}

const (
	p1 = "2024H2"
	p2 = "2025H1"
)

func newGenerator(t testing.TB, seed uint64) *generator {
	f := shippedForm(t)
	g := &generator{t: t, f: f, base: baseFigures(t, f), fixed: fixed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		jump: "teacher_participation", total: "gold_medals", placeholder: "party_brands", lo: sizeLo, span: sizeSpan}
	g.typoCandidates()
	return g
}

// smallForm loads the form of 11 indicators of testdata/forms.
func smallForm(t testing.TB) *rules.Form {
	t.Helper()
	rs, err := rules.LoadDir("testdata/forms")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rs.Form("district_brief")
	if !ok {
		t.Fatal("no district_brief form")
	}
	return f
}

// newSmallGenerator generates batches of the small form: four counts that
// grow with a district's size, rates and per-pupil figures that do not.
func newSmallGenerator(t testing.TB, seed uint64) *generator {
	f := smallForm(t)
	g := &generator{t: t, f: f, rng: rand.New(rand.NewPCG(seed, seed^0x51ed270b2a3b9c1d)),
		base: map[string]float64{"students": 42000, "teachers": 3100, "training_hours": 56000, "activity_visits": 230000,
			"building_funds": 3600, "per_pupil_funding": 8200, "pass_rate": 92.4, "retention_rate": 97.5, "coverage_rate": 88,
			"ratio_students_teachers": 13.6, "library_books_per_pupil": 31.5},
		fixed: map[string]bool{"per_pupil_funding": true, "ratio_students_teachers": true, "library_books_per_pupil": true},
		jump:  "activity_visits", total: "teachers", placeholder: "training_hours", lo: sizeLo, span: sizeSpan}
	g.typoCandidates()
	return g
}

// typoCandidates are the counts a ×10 typo may hit: those that scale with
// the unit's size and are at least 30 at the template's size.
func (g *generator) typoCandidates() {
	for _, ind := range g.f.Indicators {
		if ind.Type != rules.Percent && !g.fixed[ind.ID] && g.base[ind.ID] >= 30 && ind.ID != g.jump && ind.ID != g.total {
			g.typo = append(g.typo, ind.ID)
		}
	}
}

func (g *generator) noise(spread float64) float64 { return 1 + spread*(2*g.rng.Float64()-1) }

// scaled draws a unit of size s (log-uniform over one decade makes the
// leading digits of each figure follow Benford's law across units).
func (g *generator) scaled(s float64) map[string]float64 {
	out := make(map[string]float64, len(g.base))
	for _, ind := range g.f.Indicators {
		b := g.base[ind.ID]
		switch {
		case g.fixed[ind.ID] && ind.Type != rules.Percent && b >= 100:
			out[ind.ID] = round1(b * (1 + 0.1*g.rng.Float64())) // per pupil: at or a little above the template
		case g.fixed[ind.ID]:
			out[ind.ID] = b
		case ind.Type == rules.Percent:
			out[ind.ID] = math.Min(round1(b+g.rng.Float64()-0.5), *ind.Max)
		case ind.Type == rules.Integer:
			out[ind.ID] = math.Round(b * s * g.noise(0.03))
		default:
			out[ind.ID] = round1(b * s * g.noise(0.03))
		}
	}
	if e, ok := out["events_entered"]; ok {
		// A small district's few events, rounded, must still cover its
		// medals: at most three per event.
		out["events_entered"] = max(e, math.Ceil((out["gold_medals"]+out["silver_medals"]+out["bronze_medals"])/3))
	}
	return out
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// next is the following period of a unit: counts grow a little, rates move
// by under a point, the deltas agree with the rates.
func (g *generator) next(prev map[string]float64) map[string]float64 {
	growth := 1 + 0.06*g.rng.Float64()
	out := make(map[string]float64, len(prev))
	for _, ind := range g.f.Indicators {
		x := prev[ind.ID]
		switch {
		case g.fixed[ind.ID]:
			out[ind.ID] = x
		case ind.Type == rules.Percent:
			out[ind.ID] = math.Min(round1(x+g.rng.Float64()-0.3), *ind.Max)
		case ind.Type == rules.Integer:
			out[ind.ID] = math.Round(x * growth * g.noise(0.02))
		default:
			out[ind.ID] = round1(x * growth * g.noise(0.02))
		}
	}
	if _, ok := out["benke_rate_delta"]; ok {
		out["benke_rate_delta"] = round1(out["benke_rate"] - prev["benke_rate"])
		out["tier1_rate_delta"] = round1(out["tier1_rate"] - prev["tier1_rate"])
	}
	return out
}

func toAny(m map[string]float64) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// cleanUnit draws a unit's two periods until the checker passes both.
func (g *generator) cleanUnit(name string) []genRow {
	for range 200 {
		// Sizes log-uniform over a span of 40: the leading digits of each
		// figure then follow Benford's law across units.
		u := g.rng.Float64()
		if g.stratum >= 0 {
			u = (float64(g.stratum) + u) / float64(g.strata)
		}
		s := g.lo * math.Pow(g.span, u)
		a := g.scaled(s)
		b := g.next(a)
		r1 := g.check.Check(g.f, &checker.Submission{Form: g.f.ID, Figures: toAny(a)})
		r2 := g.check.Check(g.f, &checker.Submission{Form: g.f.ID, Figures: toAny(b), Previous: toAny(a)})
		if len(r1.Violations) == 0 && len(r2.Violations) == 0 {
			return []genRow{{unit: name, period: p1, vals: a}, {unit: name, period: p2, vals: b}}
		}
	}
	g.t.Fatalf("could not draw a clean unit %s", name)
	return nil
}

// batch is a generated batch and what was planted in it.
type batch struct {
	rows  []genRow
	clean []string
	plant map[string]string // what -> unit
}

// cleanBatch is n clean districts, two periods each, their sizes spread
// evenly (in log) over the generator's range.
func (g *generator) cleanBatch(n int) *batch {
	b := &batch{plant: map[string]string{}}
	g.strata = n
	for i := range n {
		g.stratum = i
		name := fmt.Sprintf("区县%02d", i+1)
		b.clean = append(b.clean, name)
		b.rows = append(b.rows, g.cleanUnit(name)...)
	}
	return b
}

// genBatch makes n clean units, the planted ones, and the city total.
// Plants (what → unit): source/copy (the copy's current period is the
// source's with one or two figures one higher), exact_source/exact (an
// exact copy), round (every figure of 10 or more to the nearest 10),
// round2 (every figure of 100 or more to two significant digits),
// typo_small/typo_big (one figure ×10 in the smallest and the largest
// unit), fabricated (uniform leading digits; shipped form only), jump
// (one figure four times last period's), placeholder (an "xx") and total
// (the city total of one indicator 5 too high).
func (g *generator) genBatch(n int) *batch {
	b := g.cleanBatch(n)
	add := func(what, name string, rows []genRow) {
		b.plant[what] = name
		b.rows = append(b.rows, rows...)
	}
	g.stratum = -1              // planted units of any size
	counts := func() []string { // the scaled counts, in form order
		var ids []string
		for _, ind := range g.f.Indicators {
			if ind.Type != rules.Percent && !g.fixed[ind.ID] {
				ids = append(ids, ind.ID)
			}
		}
		return ids
	}()
	// A copy with one or two figures changed (one on a small form, where
	// two of eleven would be no copy).
	src := g.cleanUnit("原件区")
	cp := g.cleanUnit("抄件区")
	cp[1].vals = maps(src[1].vals)
	changed := 1
	if len(g.f.Indicators) > 20 {
		changed += g.rng.IntN(2)
	}
	for _, k := range g.rng.Perm(len(g.typo))[:changed] {
		cp[1].vals[g.typo[k]]++
	}
	add("source", "原件区", src)
	add("copy", "抄件区", cp)
	// An exact copy.
	esrc := g.cleanUnit("范本县")
	ecp := g.cleanUnit("照搬县")
	ecp[1].vals = maps(esrc[1].vals)
	add("exact_source", "范本县", esrc)
	add("exact", "照搬县", ecp)
	// Round numbers: every figure of 10 or more typed to the nearest 10.
	round := g.cleanUnit("整数县")
	for _, r := range round {
		for _, k := range counts {
			if v := r.vals[k]; v >= 10 {
				r.vals[k] = math.Round(v/10) * 10
			}
		}
	}
	add("round", "整数县", round)
	// Rounding by magnitude: every figure of 100 or more to two
	// significant digits (3200, 430, 72000).
	round2 := g.cleanUnit("估填县")
	for _, r := range round2 {
		for _, k := range counts {
			if v := r.vals[k]; v >= 100 {
				step := math.Pow(10, math.Floor(math.Log10(v))-1)
				r.vals[k] = math.Round(v/step) * step
			}
		}
	}
	add("round2", "估填县", round2)
	// A figure typed ten times too large, in the smallest and the largest
	// unit.
	for _, c := range []struct {
		what, name string
		stratum    int
	}{{"typo_small", "笔误小县", 0}, {"typo_big", "笔误大区", n - 1}} {
		g.stratum = c.stratum
		rows := g.cleanUnit(c.name)
		k := g.typo[g.rng.IntN(len(g.typo))]
		rows[1].vals[k] *= 10
		b.plant[c.what+"_indicator"] = k
		add(c.what, c.name, rows)
	}
	g.stratum = -1
	if len(g.f.Indicators) > 20 {
		// Fabricated: leading digits drawn uniformly at each figure's
		// magnitude.
		fab := g.cleanUnit("编造县")
		for _, r := range fab {
			for _, k := range counts { // form order: the draws are reproducible
				v := r.vals[k]
				if v < 10 {
					continue
				}
				mag := math.Pow(10, math.Floor(math.Log10(v)))
				x := (float64(1+g.rng.IntN(9)) + g.rng.Float64()) * mag
				if mustInd(g.f, k).Type == rules.Integer {
					x = math.Floor(x)
				} else {
					x = round1(x)
				}
				r.vals[k] = x
			}
		}
		add("fabricated", "编造县", fab)
	}
	// A jump: one figure four times last period's.
	jump := g.cleanUnit("跳变县")
	jump[1].vals[g.jump] = jump[0].vals[g.jump] * 4
	add("jump", "跳变县", jump)
	// A placeholder left in the current period.
	ph := g.cleanUnit("占位县")
	ph[1].text = map[string]string{g.placeholder: "xx"}
	delete(ph[1].vals, g.placeholder)
	add("placeholder", "占位县", ph)
	// The city total: sums of every non-percent figure, medians of rates;
	// one figure of the current period overstated by 5.
	for _, p := range []string{p1, p2} {
		tot := map[string]float64{}
		var rates = map[string][]float64{}
		for _, r := range b.rows {
			if r.period != p {
				continue
			}
			for _, ind := range g.f.Indicators {
				v, ok := r.vals[ind.ID]
				if !ok {
					continue
				}
				if ind.Type == rules.Percent || g.fixed[ind.ID] {
					rates[ind.ID] = append(rates[ind.ID], v)
				} else {
					tot[ind.ID] += v
				}
			}
		}
		for k, vs := range rates {
			slices.Sort(vs)
			tot[k] = vs[len(vs)/2]
		}
		for k, v := range tot {
			if ind := mustInd(g.f, k); ind.Type == rules.Number {
				tot[k] = round1(v)
			}
		}
		if p == p2 {
			tot[g.total] += 5
		}
		b.rows = append(b.rows, genRow{unit: "全市", period: p, vals: tot})
	}
	b.plant["total"] = "全市"
	return b
}

func maps(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mustInd(f *rules.Form, key string) *rules.Indicator {
	ind, ok := f.Indicator(key)
	if !ok {
		panic("no indicator " + key)
	}
	return ind
}

// csvBytes writes rows as CSV with Chinese headers, periods in order.
func (b *batch) csvBytes(f *rules.Form) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{"单位", "期间"}
	for _, ind := range f.Indicators {
		head = append(head, ind.Name)
	}
	_ = w.Write(head)
	for _, r := range b.rows {
		rec := []string{r.unit, r.period}
		for _, ind := range f.Indicators {
			cell := ""
			if v, ok := r.vals[ind.ID]; ok {
				cell = strconv.FormatFloat(v, 'f', -1, 64)
			} else if s, ok := r.text[ind.ID]; ok {
				cell = s
			}
			rec = append(rec, cell)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}
