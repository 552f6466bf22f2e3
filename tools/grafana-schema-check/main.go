// grafana-schema-check decodes Grafana dashboard JSON and alert-rule provisioning files with the
// types that grafana-foundation-sdk generates from Grafana's own schemas, strictly: an unknown
// field, a field of the wrong type or a missing required field is a problem.
//
//	grafana-schema-check [-v] FILE...
//
// FILE is a dashboard (*.json) or a Grafana alert-rule provisioning file (*.yaml, *.yml).
// Each problem is one line on stdout,
//
//	FILE: panel ID "TITLE": JSON.PATH: MESSAGE
//
// (or "FILE: dashboard: ..." / "FILE: rule UID: ..."), and the exit status is 1 when there is
// any. A summary of what was checked goes to stderr, with -v also every part that had no schema
// to check it against. Exit status 2: a file could not be read or parsed at all.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
)

// Report gathers the problems of one run and counts what was checked.
type Report struct {
	Problems  []string
	Unchecked []string
	Counts    map[string]int
}

func (r *Report) problem(file, where, path, message string) {
	r.Problems = append(r.Problems, fmt.Sprintf("%s: %s: %s: %s", file, where, path, message))
}

func (r *Report) unchecked(file, where, path, why string) {
	r.Unchecked = append(r.Unchecked, fmt.Sprintf("%s: %s: %s: not checked: %s", file, where, path, why))
	r.Counts["unchecked"]++
}

func main() {
	verbose := flag.Bool("v", false, "also list every part that no schema of the SDK covers")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: grafana-schema-check [-v] DASHBOARD.json|ALERT-RULES.yaml ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	// Panel options, field configs and queries are decoded through the cog runtime, which knows
	// a panel or datasource type only once its package has registered it.
	plugins.RegisterDefaultPlugins()

	report := &Report{Counts: map[string]int{}}
	for _, file := range flag.Args() {
		raw, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "grafana-schema-check: %v\n", err)
			os.Exit(2)
		}
		if strings.HasSuffix(file, ".yaml") || strings.HasSuffix(file, ".yml") {
			err = checkAlertRules(report, file, raw)
		} else {
			err = checkDashboard(report, file, raw)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "grafana-schema-check: %s: %v\n", file, err)
			os.Exit(2)
		}
	}

	problems := dedupe(report.Problems)
	for _, line := range problems {
		fmt.Println(line)
	}
	if *verbose {
		for _, line := range dedupe(report.Unchecked) {
			fmt.Fprintln(os.Stderr, line)
		}
	}
	fmt.Fprintf(os.Stderr,
		"grafana-schema-check: %d dashboards, %d panels (%d with panel schema), %d targets (%d with query schema), "+
			"%d alert-rule files, %d rules, %d rule queries (%d with query schema); %d unchecked parts; %d problems\n",
		report.Counts["dashboards"], report.Counts["panels"], report.Counts["panels_schema"],
		report.Counts["targets"], report.Counts["targets_schema"],
		report.Counts["rule_files"], report.Counts["rules"], report.Counts["rule_queries"],
		report.Counts["rule_queries_schema"], report.Counts["unchecked"], len(problems))
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// dedupe sorts lines and drops repeats: the SDK's decoder and this checker's extra passes can
// reach the same mistake twice (a wrongly typed fieldConfig value, for one).
func dedupe(lines []string) []string {
	sort.Strings(lines)
	out := lines[:0]
	for i, line := range lines {
		if i == 0 || line != lines[i-1] {
			out = append(out, line)
		}
	}
	return out
}
