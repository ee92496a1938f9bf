// Command kubectl-yaml reads manifests exactly as kubectl does (cli-runtime's StreamVisitor:
// apimachinery's YAMLOrJSONDecoder, i.e. sigs.k8s.io/yaml over goyaml.v2) and prints, for each
// file named on the command line, one JSON line: {"documents": [...]} or {"error": "..."}.
// wasmgate's tests compare its own YAML reading with this one; it is not part of wasmgate's runtime.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
)

type result struct {
	Documents []json.RawMessage `json:"documents,omitempty"`
	Error     string            `json:"error,omitempty"`
}

func decode(r io.Reader) result {
	d := yaml.NewYAMLOrJSONDecoder(r, 4096)
	out := result{Documents: []json.RawMessage{}}
	for {
		ext := runtime.RawExtension{}
		if err := d.Decode(&ext); err != nil {
			if err == io.EOF {
				return out
			}
			return result{Error: err.Error()}
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		out.Documents = append(out.Documents, json.RawMessage(raw))
	}
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		res := decode(f)
		f.Close()
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
