package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// rawPanel is what the extra passes read of a panel; the SDK's decoder reads all of it.
type rawPanel struct {
	Type        string            `json:"type"`
	ID          *json.Number      `json:"id"`
	Title       string            `json:"title"`
	Datasource  json.RawMessage   `json:"datasource"`
	Options     json.RawMessage   `json:"options"`
	FieldConfig json.RawMessage   `json:"fieldConfig"`
	Targets     []json.RawMessage `json:"targets"`
	Panels      []json.RawMessage `json:"panels"`
}

type validator interface{ Validate() error }

// checkDashboard runs, on one dashboard:
//
//  1. dashboard.Dashboard.UnmarshalJSONStrict, the SDK's own strict decoding. Through the cog
//     runtime it decodes each panel's options and fieldConfig.defaults.custom strictly with the
//     panel type's registered types, and each target with its datasource type's query type, but
//     only when the target names its datasource type itself.
//  2. dashboard.Dashboard.Validate (the schemas' constraints: lengths, ranges).
//  3. What (1) leaves out, per panel, through the same public decoders: fieldConfig (which (1)
//     decodes leniently apart from defaults.custom), field overrides, targets that inherit the
//     panel's datasource type, and Validate on the panel type's options and custom field config.
func checkDashboard(r *Report, file string, raw []byte) error {
	var top struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return fmt.Errorf("not a JSON dashboard: %w", err)
	}
	r.Counts["dashboards"]++
	names := map[string]string{}
	var panels []struct {
		path  string
		panel rawPanel
		raw   json.RawMessage
	}
	var collect func(prefix string, list []json.RawMessage)
	collect = func(prefix string, list []json.RawMessage) {
		for i, item := range list {
			path := prefix + "panels[" + strconv.Itoa(i) + "]"
			var p rawPanel
			if err := json.Unmarshal(item, &p); err != nil {
				names[path] = "panel #" + strconv.Itoa(i)
				continue
			}
			id := "?"
			if p.ID != nil {
				id = p.ID.String()
			}
			names[path] = fmt.Sprintf("panel %s %q", id, p.Title)
			panels = append(panels, struct {
				path  string
				panel rawPanel
				raw   json.RawMessage
			}{path, p, item})
			collect(path+".", p.Panels)
		}
	}
	collect("", top.Panels)

	emit := func(fs []Finding) {
		for _, f := range fs {
			r.problem(file, where(names, f.Path), f.Path, f.Message)
		}
	}

	d := dashboard.Dashboard{}
	emit(findings("", d.UnmarshalJSONStrict(raw)))
	emit(findings("", d.Validate()))

	for _, p := range panels {
		if p.panel.Type == "row" {
			continue
		}
		r.Counts["panels"]++
		checkPanel(r, file, names, p.path, p.panel, emit)
	}
	return nil
}

func checkPanel(r *Report, file string, names map[string]string, path string, p rawPanel, emit func([]Finding)) {
	name := names[path]
	config, known := cog.ConfigForPanelcfgVariant(p.Type)
	if known {
		r.Counts["panels_schema"]++
	} else {
		r.unchecked(file, name, path+".options", fmt.Sprintf("the SDK has no schema for panel type %q", p.Type))
	}

	var fieldConfig struct {
		Defaults struct {
			Custom json.RawMessage `json:"custom"`
		} `json:"defaults"`
		Overrides []struct {
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	}
	if len(p.FieldConfig) > 0 && string(p.FieldConfig) != "null" {
		source := dashboard.FieldConfigSource{}
		emit(findings(path+".fieldConfig", source.UnmarshalJSONStrict(p.FieldConfig)))
		if err := json.Unmarshal(p.FieldConfig, &fieldConfig); err == nil {
			for i, override := range fieldConfig.Overrides {
				for j, property := range override.Properties {
					at := fmt.Sprintf("%s.fieldConfig.overrides[%d].properties[%d].value", path, i, j)
					emit(checkOverride(config, known, property.ID, property.Value, at))
				}
			}
		}
	}

	if known {
		if len(p.Options) > 0 && config.OptionsUnmarshaler != nil {
			if options, err := config.OptionsUnmarshaler(p.Options); err == nil {
				if v, ok := options.(validator); ok {
					emit(findings(path+".options", v.Validate()))
				}
			}
		}
		if len(fieldConfig.Defaults.Custom) > 0 && config.FieldConfigUnmarshaler != nil {
			if custom, err := config.FieldConfigUnmarshaler(fieldConfig.Defaults.Custom); err == nil {
				if v, ok := custom.(validator); ok {
					emit(findings(path+".fieldConfig.defaults.custom", v.Validate()))
				}
			}
		}
	}

	panelType := datasourceType(p.Datasource)
	for i, target := range p.Targets {
		at := path + ".targets[" + strconv.Itoa(i) + "]"
		r.Counts["targets"]++
		hint := panelType
		var own struct {
			Datasource json.RawMessage `json:"datasource"`
		}
		if json.Unmarshal(target, &own) == nil {
			if t := datasourceType(own.Datasource); t != "" {
				hint = t
			}
		}
		query, err := cog.StrictUnmarshalDataquery(target, hint)
		if err != nil {
			emit(findings(at, err))
			r.Counts["targets_schema"]++
			continue
		}
		if _, unknown := query.(variants.UnknownDataquery); unknown {
			r.unchecked(file, name, at, fmt.Sprintf("the SDK has no query schema for datasource type %q", hint))
			continue
		}
		r.Counts["targets_schema"]++
		emit(findings(at, query.Validate()))
	}
}

// checkOverride decodes one field-override property as the field config it overrides: "custom.X"
// against the panel type's custom field config, any other id against dashboard.FieldConfig. An
// override sets only some fields, so "required field is missing" does not apply to it.
func checkOverride(config variants.PanelcfgConfig, known bool, id string, value json.RawMessage, at string) []Finding {
	if len(value) == 0 {
		value = json.RawMessage("null")
	}
	custom, isCustom := strings.CutPrefix(id, "custom.")
	key := id
	if isCustom {
		key = custom
	}
	// The property "a.b" with value V is the field config {"a": {"b": V}}.
	parts := strings.Split(key, ".")
	doc := value
	for k := len(parts) - 1; k >= 0; k-- {
		wrapped, _ := json.Marshal(map[string]json.RawMessage{parts[k]: doc})
		doc = wrapped
	}
	var err error
	switch {
	case isCustom && known && config.StrictFieldConfigUnmarshaler != nil:
		_, err = config.StrictFieldConfigUnmarshaler(doc)
	case isCustom:
		return nil
	default:
		fc := dashboard.FieldConfig{}
		err = fc.UnmarshalJSONStrict(doc)
	}
	var out []Finding
	for _, f := range findings("", err) {
		if f.Message == "required field is missing" || f.Message == "required field is null" {
			continue
		}
		// Re-root the finding at the property's value: drop the wrapping keys.
		if rest, ok := strings.CutPrefix(f.Path, key); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			out = append(out, Finding{join(at, strings.TrimPrefix(rest, ".")), fmt.Sprintf("property %q: %s", id, f.Message)})
		} else {
			out = append(out, Finding{at, fmt.Sprintf("property %q: %s: %s", id, f.Path, f.Message)})
		}
	}
	return out
}

// datasourceType is the type of a datasource reference ({"type": ..., "uid": ...}); "" for a
// reference without one (a bare uid string, a missing reference).
func datasourceType(raw json.RawMessage) string {
	var ref struct {
		Type string `json:"type"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &ref) != nil {
		return ""
	}
	return ref.Type
}

var panelPath = regexp.MustCompile(`^panels\[\d+\](\.panels\[\d+\])?`)

// where names the panel a JSON path lies in, or "dashboard".
func where(names map[string]string, path string) string {
	if m := panelPath.FindString(path); m != "" {
		if name, ok := names[m]; ok {
			return name
		}
		if name, ok := names[m[:strings.Index(m, "]")+1]]; ok {
			return name
		}
	}
	return "dashboard"
}
