// Command rusage runs a command and prints, as one JSON line on stderr after the command's own output,
// its wall time, CPU time and peak resident set size (from wait4's rusage, which covers the command and
// the children it waited for). Its exit code is the command's. The bench uses it for W4's peak RSS.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rusage COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(127)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	out := map[string]any{"rusage": true, "exitCode": code, "wallMs": float64(wall.Microseconds()) / 1000}
	if ru != nil {
		out["userMs"] = float64(ru.Utime.Nano()) / 1e6
		out["sysMs"] = float64(ru.Stime.Nano()) / 1e6
		out["maxRssKiB"] = ru.Maxrss
	}
	line, _ := json.Marshal(out)
	fmt.Fprintf(os.Stderr, "\n%s\n", line)
	os.Exit(code)
}
