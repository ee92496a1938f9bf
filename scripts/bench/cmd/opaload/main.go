// Command opaload evaluates one Rego query with OPA's own Go library (topdown), as `opa run --server`
// does for a request: each evaluation parses the input's JSON bytes, evaluates the prepared query and
// serialises the result. It runs a fixed number of evaluations from G goroutines (GOMAXPROCS from the
// environment) and prints one JSON object: throughput and per-evaluation latency percentiles.
//
// It is the OPA side of the bench's W3 (scaling) and W1's "bytes in" column; it is never a server.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"
)

func main() {
	dirs := flag.String("d", "", "comma-separated directories or files of the policy's .rego and data.json")
	query := flag.String("q", "data.wasmgate.main.decision", "query")
	inputs := flag.String("inputs", "", "comma-separated JSON input files, used round robin")
	n := flag.Int("n", 1000, "evaluations in all (after warm-up)")
	g := flag.Int("g", 1, "goroutines")
	warm := flag.Int("warmup", 100, "warm-up evaluations, not counted")
	maxSeconds := flag.Float64("max-seconds", 120, "stop after this long even if n is not reached")
	flag.Parse()
	if err := run(strings.Split(*dirs, ","), *query, strings.Split(*inputs, ","), *n, *g, *warm, *maxSeconds); err != nil {
		fmt.Fprintln(os.Stderr, "opaload:", err)
		os.Exit(1)
	}
}

func run(dirs []string, query string, inputFiles []string, n, g, warm int, maxSeconds float64) error {
	ctx := context.Background()
	bodies := make([][]byte, 0, len(inputFiles))
	for _, f := range inputFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	pq, err := rego.New(rego.Query(query), rego.Load(dirs, nil)).PrepareForEval(ctx)
	if err != nil {
		return err
	}
	evalOnce := func(body []byte) error {
		var x any
		if err := util.UnmarshalJSON(body, &x); err != nil {
			return err
		}
		v, err := ast.InterfaceToValue(x)
		if err != nil {
			return err
		}
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(v))
		if err != nil {
			return err
		}
		if len(rs) != 1 {
			return fmt.Errorf("query result is undefined")
		}
		_, err = json.Marshal(rs[0].Expressions[0].Value)
		return err
	}
	for i := range warm {
		if err := evalOnce(bodies[i%len(bodies)]); err != nil {
			return err
		}
	}
	var next atomic.Int64
	deadline := time.Now().Add(time.Duration(maxSeconds * float64(time.Second)))
	lat := make([][]time.Duration, g)
	errs := make([]error, g)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				if err := evalOnce(bodies[int(i)%len(bodies)]); err != nil {
					errs[w] = err
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(p * float64(len(all)-1))
		return float64(all[i].Nanoseconds()) / 1000
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"evaluations": len(all),
		"goroutines":  g,
		"gomaxprocs":  runtime.GOMAXPROCS(0),
		"seconds":     elapsed.Seconds(),
		"perSecond":   float64(len(all)) / elapsed.Seconds(),
		"p50Us":       pct(0.50),
		"p99Us":       pct(0.99),
		"p999Us":      pct(0.999),
	})
}
