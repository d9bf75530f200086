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
// scale with the unit's size.
var fixed = map[string]bool{
	"special_ed_per_pupil_funding": true, "special_ed_majors": true, "sports_area_per_capita": true,
	"benke_rate_delta": true, "tier1_rate_delta": true,
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
	rng   *rand.Rand
	check checker.Checker
	// The clean units' sizes are stratified over the decade: unit k of n
	// falls in the k-th n-th of it.
	stratum, strata int
}

const (
	p1 = "2024H2"
	p2 = "2025H1"
)

func newGenerator(t testing.TB, seed uint64) *generator {
	f := shippedForm(t)
	return &generator{t: t, f: f, base: baseFigures(t, f), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *generator) noise(spread float64) float64 { return 1 + spread*(2*g.rng.Float64()-1) }

// scaled draws a unit of size s (log-uniform over one decade makes the
// leading digits of each figure follow Benford's law across units).
func (g *generator) scaled(s float64) map[string]float64 {
	out := make(map[string]float64, len(g.base))
	for _, ind := range g.f.Indicators {
		b := g.base[ind.ID]
		switch {
		case fixed[ind.ID]:
			out[ind.ID] = b
		case ind.Type == rules.Percent:
			out[ind.ID] = math.Min(round1(b+g.rng.Float64()-0.5), *ind.Max)
		case ind.Type == rules.Integer:
			out[ind.ID] = math.Round(b * s * g.noise(0.03))
		default:
			out[ind.ID] = round1(b * s * g.noise(0.03))
		}
	}
	return out
}

// next1 moves to the next size stratum.
func (g *generator) next1() *generator {
	g.stratum++
	return g
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
		case fixed[ind.ID]:
			out[ind.ID] = x
		case ind.Type == rules.Percent:
			out[ind.ID] = math.Min(round1(x+g.rng.Float64()-0.3), *ind.Max)
		case ind.Type == rules.Integer:
			out[ind.ID] = math.Round(x * growth * g.noise(0.02))
		default:
			out[ind.ID] = round1(x * growth * g.noise(0.02))
		}
	}
	out["benke_rate_delta"] = round1(out["benke_rate"] - prev["benke_rate"])
	out["tier1_rate_delta"] = round1(out["tier1_rate"] - prev["tier1_rate"])
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
		// Sizes log-uniform over one decade: the leading digits of each
		// figure then follow Benford's law across units.
		s := 0.3 * math.Pow(10, (float64(g.stratum)+g.rng.Float64())/float64(g.strata))
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

// genBatch makes n clean units, the planted ones, and the city total.
func (g *generator) genBatch(n int) *batch {
	b := &batch{plant: map[string]string{}}
	g.strata = n + 6
	for i := range n {
		g.stratum = i
		name := fmt.Sprintf("区县%02d", i+1)
		b.clean = append(b.clean, name)
		b.rows = append(b.rows, g.cleanUnit(name)...)
	}
	add := func(what, name string, rows []genRow) {
		b.plant[what] = name
		b.rows = append(b.rows, rows...)
	}
	// A copy: the second unit's current period is the first one's.
	g.stratum = n
	src := g.cleanUnit("原件区")
	cp := g.next1().cleanUnit("抄件区")
	cp[1].vals = maps(src[1].vals)
	add("source", "原件区", src)
	add("copy", "抄件区", cp)
	// Round numbers: every figure of 10 or more typed to the nearest 10.
	round := g.next1().cleanUnit("整数县")
	for _, r := range round {
		for k, v := range r.vals {
			if v >= 10 && mustInd(g.f, k).Type != rules.Percent && !fixed[k] {
				r.vals[k] = math.Round(v/10) * 10
			}
		}
	}
	add("round", "整数县", round)
	// Fabricated: leading digits drawn uniformly at each figure's magnitude.
	fab := g.next1().cleanUnit("编造县")
	for _, r := range fab {
		for _, ind := range g.f.Indicators { // form order: the draws are reproducible
			k, v := ind.ID, r.vals[ind.ID]
			if v < 10 || ind.Type == rules.Percent || fixed[k] {
				continue
			}
			mag := math.Pow(10, math.Floor(math.Log10(v)))
			x := (float64(1+g.rng.IntN(9)) + g.rng.Float64()) * mag
			if ind.Type == rules.Integer {
				x = math.Floor(x)
			} else {
				x = round1(x)
			}
			r.vals[k] = x
		}
	}
	add("fabricated", "编造县", fab)
	// A jump: teacher participation four times last period's.
	jump := g.next1().cleanUnit("跳变县")
	jump[1].vals["teacher_participation"] = jump[0].vals["teacher_participation"] * 4
	add("jump", "跳变县", jump)
	// A placeholder left in the current period.
	ph := g.next1().cleanUnit("占位县")
	ph[1].text = map[string]string{"party_brands": "xx"}
	delete(ph[1].vals, "party_brands")
	add("placeholder", "占位县", ph)
	// The city total: sums of every non-percent figure, medians of rates;
	// gold medals of the current period overstated by 5.
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
				if ind.Type == rules.Percent || fixed[ind.ID] {
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
			tot["gold_medals"] += 5
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

// csvHead is a batch's header row: unit, period and every indicator's
// Chinese name.
func csvHead(f *rules.Form) []string {
	head := []string{"单位", "期间"}
	for _, ind := range f.Indicators {
		head = append(head, ind.Name)
	}
	return head
}

// csvBytes writes rows as CSV with Chinese headers, periods in order.
func (b *batch) csvBytes(f *rules.Form) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(csvHead(f))
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
