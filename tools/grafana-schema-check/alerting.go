package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"gopkg.in/yaml.v3"
)

// provisioningFile is the part of Grafana's alert-rule file provisioning format (apiVersion: 1,
// groups of rules) that the SDK has types for. The SDK's alerting.Rule is the HTTP provisioning
// API's rule (orgID, folderUID and ruleGroup on every rule, no dashboardUid/panelId), not the
// file format's, so a rule as a whole has no schema here; its queries (data[]) have the same shape
// in both and are decoded with alerting.Query, and its two states are checked against the SDK's
// enumerations.
type provisioningFile struct {
	Groups []struct {
		Rules []struct {
			UID          string            `json:"uid"`
			Title        string            `json:"title"`
			NoDataState  *string           `json:"noDataState"`
			ExecErrState *string           `json:"execErrState"`
			Data         []json.RawMessage `json:"data"`
		} `json:"rules"`
	} `json:"groups"`
}

var (
	noDataStates = []alerting.RuleNoDataState{
		alerting.RuleNoDataStateOK, alerting.RuleNoDataStateAlerting,
		alerting.RuleNoDataStateNoData, alerting.RuleNoDataStateKeepLast,
	}
	execErrStates = []alerting.RuleExecErrState{
		alerting.RuleExecErrStateOK, alerting.RuleExecErrStateAlerting,
		alerting.RuleExecErrStateError, alerting.RuleExecErrStateKeepLast,
	}
)

func checkAlertRules(r *Report, file string, raw []byte) error {
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("not YAML: %w", err)
	}
	asJSON, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("YAML that JSON cannot hold (a map with non-string keys?): %w", err)
	}
	var parsed provisioningFile
	if err := json.Unmarshal(asJSON, &parsed); err != nil {
		return fmt.Errorf("not an alert-rule provisioning file: %w", err)
	}
	r.Counts["rule_files"]++
	for gi, group := range parsed.Groups {
		for ri, rule := range group.Rules {
			r.Counts["rules"]++
			name := fmt.Sprintf("rule %s %q", rule.UID, rule.Title)
			at := fmt.Sprintf("groups[%d].rules[%d]", gi, ri)
			if rule.NoDataState != nil && !oneOf(*rule.NoDataState, noDataStates) {
				r.problem(file, name, at+".noDataState", fmt.Sprintf("%q is not one of %s", *rule.NoDataState, list(noDataStates)))
			}
			if rule.ExecErrState != nil && !oneOf(*rule.ExecErrState, execErrStates) {
				r.problem(file, name, at+".execErrState", fmt.Sprintf("%q is not one of %s", *rule.ExecErrState, list(execErrStates)))
			}
			for qi, data := range rule.Data {
				r.Counts["rule_queries"]++
				qat := fmt.Sprintf("%s.data[%d]", at, qi)
				query := alerting.Query{}
				for _, f := range findings(qat, query.UnmarshalJSONStrict(data)) {
					r.problem(file, name, f.Path, f.Message)
				}
				for _, f := range findings(qat, query.Validate()) {
					r.problem(file, name, f.Path, f.Message)
				}
				var model struct {
					Model json.RawMessage `json:"model"`
				}
				_ = json.Unmarshal(data, &model)
				if q, err := cog.StrictUnmarshalDataquery(model.Model, ""); err == nil {
					if _, unknown := q.(variants.UnknownDataquery); unknown {
						r.unchecked(file, name, qat+".model", "the SDK has no query schema for its datasource type")
						continue
					}
				}
				r.Counts["rule_queries_schema"]++
			}
		}
	}
	return nil
}

func oneOf[T ~string](value string, allowed []T) bool {
	for _, a := range allowed {
		if string(a) == value {
			return true
		}
	}
	return false
}

func list[T ~string](allowed []T) string {
	parts := make([]string, len(allowed))
	for i, a := range allowed {
		parts[i] = string(a)
	}
	return strings.Join(parts, ", ")
}
