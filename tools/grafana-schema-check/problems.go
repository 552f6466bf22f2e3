package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
)

// Finding is one problem the SDK reported, with its path made a JSON path from the file's root.
type Finding struct {
	Path    string
	Message string
}

var (
	// cog's strict decoders name the Go type, not the field, in the path of an unknown field:
	// "panels[2].options.legend.VizLegendOptions" + "unexpected field 'foo'".
	unexpectedField = regexp.MustCompile(`^unexpected field '(.*)'$`)
	// encoding/json's type errors carry the field path below the value being decoded.
	structFieldType = regexp.MustCompile(`^json: cannot unmarshal (\S+) into Go struct field [^.\s]+\.(\S+) of type (\S+)$`)
	valueType       = regexp.MustCompile(`^json: cannot unmarshal (\S+) into Go value of type (\S+)$`)
)

// findings flattens an error of the SDK (cog.BuildErrors, one *cog.BuildError, or a plain error
// from encoding/json) into findings whose paths start at prefix. The SDK's strict decoders return
// an empty cog.BuildErrors, not nil, when all is well: that yields no finding.
func findings(prefix string, err error) []Finding {
	if err == nil {
		return nil
	}
	var many cog.BuildErrors
	if errors.As(err, &many) {
		out := make([]Finding, 0, len(many))
		for _, one := range many {
			out = append(out, finding(prefix, one.Path, one.Message))
		}
		return out
	}
	var one *cog.BuildError
	if errors.As(err, &one) {
		return []Finding{finding(prefix, one.Path, one.Message)}
	}
	return []Finding{finding(prefix, "", err.Error())}
}

func finding(prefix, path, message string) Finding {
	path = strings.Trim(path, ".")
	if m := unexpectedField.FindStringSubmatch(message); m != nil {
		typeName := path
		if i := strings.LastIndex(path, "."); i >= 0 {
			path, typeName = path[:i], path[i+1:]
		} else {
			path = ""
		}
		return Finding{join(prefix, join(path, m[1])), fmt.Sprintf("unknown field (the schema's %s has no %q)", typeName, m[1])}
	}
	if m := structFieldType.FindStringSubmatch(message); m != nil {
		return Finding{join(prefix, join(path, m[2])), fmt.Sprintf("wrong type: a JSON %s where the schema has %s", m[1], m[3])}
	}
	if m := valueType.FindStringSubmatch(message); m != nil {
		return Finding{join(prefix, path), fmt.Sprintf("wrong type: a JSON %s where the schema has %s", m[1], m[2])}
	}
	if message == "required field is missing from input" {
		message = "required field is missing"
	}
	return Finding{join(prefix, path), message}
}

// join appends a relative JSON path ("a.b", "[3].c" or "") to a prefix.
func join(prefix, path string) string {
	switch {
	case path == "":
		return prefix
	case prefix == "":
		return path
	case strings.HasPrefix(path, "["):
		return prefix + path
	default:
		return prefix + "." + path
	}
}
