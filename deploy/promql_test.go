package deploy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// selector is one vector selector in a PromQL expression: a metric name and
// the text of its label matchers (without braces; empty when there are none).
type selector struct {
	Metric   string
	Matchers string
}

// promqlFunctions are PromQL's functions and aggregation operators: an
// identifier followed by "(" must be one of them.
var promqlFunctions = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`
		abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes
		clamp clamp_max clamp_min cos cosh count_over_time day_of_month day_of_week day_of_year
		days_in_month deg delta deriv exp floor histogram_count histogram_fraction
		histogram_quantile histogram_stddev histogram_stdvar histogram_sum holt_winters hour
		idelta increase irate label_join label_replace last_over_time ln log10 log2
		max_over_time min_over_time minute month pi predict_linear present_over_time
		quantile_over_time rad rate resets round scalar sgn sin sinh sort sort_desc sqrt
		stddev_over_time stdvar_over_time sum_over_time tan tanh time timestamp vector year
		sum min max avg group stddev stdvar count count_values bottomk topk quantile`) {
		promqlFunctions[f] = true
	}
}

// promqlKeywords are PromQL's binary and modifier keywords.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true, "atan2": true,
}

// labelListKeywords are followed by a parenthesised list of label names.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// grafanaVar matches a Grafana variable at the start of a string.
var grafanaVar = regexp.MustCompile(`^(?:\$\{[^}]*\}|\$\w+)`)

// selectors lists the vector selectors of a PromQL expression. It is a
// lexer rather than a parser: strings, label matchers, ranges and label
// lists are skipped, and every remaining identifier must be a function, a
// keyword or a metric name. An identifier followed by "(" that is not a
// PromQL function is an error, so a misspelt function does not pass as a
// metric. Grafana variables ($var, ${var}, $__interval) are skipped.
func selectors(expr string) ([]selector, error) {
	s := expr
	var out []selector
	i := 0
	skipSpace := func(j int) int {
		for j < len(s) && strings.ContainsRune(" \t\r\n", rune(s[j])) {
			j++
		}
		return j
	}
	// closing returns the index after the bracket matching s[j], skipping
	// quoted strings inside.
	closing := func(j int) (int, error) {
		open, end := s[j], map[byte]byte{'{': '}', '[': ']', '(': ')'}[s[j]]
		depth := 0
		for k := j; k < len(s); k++ {
			switch c := s[k]; {
			case c == '"' || c == '\'' || c == '`':
				e, err := skipString(s, k)
				if err != nil {
					return 0, err
				}
				k = e - 1
			case c == open:
				depth++
			case c == end:
				depth--
				if depth == 0 {
					return k + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("unbalanced %c in %q", open, expr)
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			e, err := skipString(s, i)
			if err != nil {
				return nil, fmt.Errorf("%w in %q", err, expr)
			}
			i = e
		case c == '{':
			// A selector with no metric name: {__name__=...}.
			e, err := closing(i)
			if err != nil {
				return nil, err
			}
			out = append(out, selector{Matchers: s[i+1 : e-1]})
			i = e
		case c == '[':
			e, err := closing(i)
			if err != nil {
				return nil, err
			}
			i = e
		case c == '$':
			// A Grafana variable where a number or duration would be.
			if n := len(grafanaVar.FindString(s[i:])); n > 0 {
				i += n
			} else {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(s) && (isIdent(s[i]) || s[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			word := s[i:j]
			next := skipSpace(j)
			switch {
			case labelListKeywords[word]:
				if next < len(s) && s[next] == '(' {
					e, err := closing(next)
					if err != nil {
						return nil, err
					}
					j = e
				}
			case promqlKeywords[strings.ToLower(word)]:
			case promqlFunctions[word] && (strings.HasPrefix(s[next:], "by") || strings.HasPrefix(s[next:], "without")):
				// An aggregation with its grouping first: sum by (x) (...).
			case next < len(s) && s[next] == '(':
				if !promqlFunctions[word] {
					return nil, fmt.Errorf("unknown function %s in %q", word, expr)
				}
			default:
				sel := selector{Metric: word}
				if next < len(s) && s[next] == '{' {
					e, err := closing(next)
					if err != nil {
						return nil, err
					}
					sel.Matchers = s[next+1 : e-1]
					j = e
				}
				out = append(out, sel)
			}
			i = j
		default:
			i++
		}
	}
	return out, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdent(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// skipString returns the index after the quoted string starting at s[i].
func skipString(s string, i int) (int, error) {
	q := s[i]
	for k := i + 1; k < len(s); k++ {
		switch s[k] {
		case '\\':
			if q != '`' {
				k++
			}
		case q:
			return k + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string")
}

// contractMetrics reads metrics.txt.
func contractMetrics(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	valid := regexp.MustCompile(`^bootinfo_[a-z0-9_]+$`)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !valid.MatchString(line) {
			t.Errorf("metrics.txt: %q is not a bootinfo metric name", line)
		}
		if names[line] {
			t.Errorf("metrics.txt: %s listed twice", line)
		}
		names[line] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("metrics.txt lists no metric")
	}
	return names
}

// checkMetricNames reports selectors naming a metric outside the contract
// (plus up, which Prometheus itself records for every target) and returns
// the contract metrics used.
func checkMetricNames(t *testing.T, where string, sels []selector, contract map[string]bool) []string {
	t.Helper()
	var used []string
	for _, s := range sels {
		switch {
		case s.Metric == "":
			t.Errorf("%s: selector {%s} without a metric name", where, s.Matchers)
		case s.Metric == "up":
		case !contract[s.Metric]:
			t.Errorf("%s: metric %s is not in metrics.txt", where, s.Metric)
		default:
			used = append(used, s.Metric)
		}
	}
	return used
}

func TestSelectors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
		err  bool
	}{
		{expr: `up{job="bootinfo"} == 0`, want: []string{"up"}},
		{expr: `sum by (kind) (increase(bootinfo_kernel_problems_total{kind=~"a|b", instance=~"$instance"}[$__rate_interval]))`,
			want: []string{"bootinfo_kernel_problems_total"}},
		{expr: `a > on (phase) group_left () 3 * quantile by (phase) (0.5, b{phase!="total"}) and on (instance, job) time() - c < 86400`,
			want: []string{"a", "b", "c"}},
		{expr: `count(x) by (mode) or vector(0)`, want: []string{"x"}},
		{expr: `label_replace(m, "dst", "$1", "src", "(.*)")`, want: []string{"m"}},
		{expr: `rate(m[5m] offset 1h)`, want: []string{"m"}},
		{expr: `{__name__="m"}`, want: []string{""}},
		{expr: `topk(${n}, increase(m{job=~"$job"}[$__rate_interval])) > $min`, want: []string{"m"}},
		{expr: `sum(rat(m[5m]))`, err: true},
		{expr: `m{a="}`, err: true},
	} {
		sels, err := selectors(tc.expr)
		if tc.err {
			if err == nil {
				t.Errorf("selectors(%q) = %v, want an error", tc.expr, sels)
			}
			continue
		}
		if err != nil {
			t.Errorf("selectors(%q): %v", tc.expr, err)
			continue
		}
		var got []string
		for _, s := range sels {
			got = append(got, s.Metric)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("selectors(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// FuzzSelectors checks that the lexer never panics or loops and that what
// it calls a metric is an identifier, seeded with every query of the rules
// and the dashboard.
func FuzzSelectors(f *testing.F) {
	for _, g := range readRules(f).Groups {
		for _, r := range g.Rules {
			f.Add(r.Expr)
		}
	}
	dash, err := os.ReadFile(dashboardPath)
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"expr": "((?:[^"\\]|\\.)*)"`).FindAllSubmatch(dash, -1) {
		var expr string
		if err := json.Unmarshal([]byte(`"`+string(m[1])+`"`), &expr); err == nil {
			f.Add(expr)
		}
	}
	ident := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	f.Fuzz(func(t *testing.T, expr string) {
		sels, err := selectors(expr)
		if err != nil {
			return
		}
		for _, s := range sels {
			if s.Metric != "" && !ident.MatchString(s.Metric) {
				t.Errorf("selectors(%q): metric %q is not an identifier", expr, s.Metric)
			}
			if !strings.Contains(expr, s.Metric) || !strings.Contains(expr, s.Matchers) {
				t.Errorf("selectors(%q): %+v is not from the expression", expr, s)
			}
		}
	})
}
