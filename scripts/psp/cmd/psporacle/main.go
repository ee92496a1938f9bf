// Command psporacle runs Kubernetes v1.24.17's own PodSecurityPolicy admission plugin over cases read as
// JSON lines on stdin and writes one JSON answer line per case on stdout (the line protocol of
// BRIEF-PSP-CONTRACT.md / README "Differential test against Kubernetes' PSP plugin"). It is the oracle
// wasmgate's PSP Rego is compared with: nothing here decides anything, the real plugin and the real
// RBAC authorizer do.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "psporacle:", err)
		os.Exit(1)
	}
}

// serve answers every line of in, in order. A line that is not a valid case gets an answer with
// "error" set (and the id when one could be read), so a caller's answers never fall out of step.
func serve(in io.Reader, out io.Writer) error {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 0, 1<<20), 64<<20)
	writer := bufio.NewWriter(out)
	encoder := json.NewEncoder(writer)
	encoder.SetEscapeHTML(false)
	for scanner.Scan() {
		line := scanner.Bytes()
		if len(line) == 0 {
			continue
		}
		if err := encoder.Encode(answerLine(line)); err != nil {
			return err
		}
		// One flush per answer: callers stream cases and wait for each answer.
		if err := writer.Flush(); err != nil {
			return err
		}
	}
	return scanner.Err()
}

func answerLine(line []byte) answer {
	var c caseInput
	if err := json.Unmarshal(line, &c); err != nil {
		var withID struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(line, &withID)
		return answer{ID: withID.ID, Error: "case is not valid JSON of the protocol: " + err.Error()}
	}
	a, err := run(c)
	if err != nil {
		return answer{ID: c.ID, Error: err.Error()}
	}
	return a
}
