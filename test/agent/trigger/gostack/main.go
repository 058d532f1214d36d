// kw-stack-victim-go: deletes a file through a known chain of Go calls, for the --stacks cases
// (test/agent/stack-cases.ts): main.main -> main.cleanupVolume -> main.deleteIt -> os.Remove.
// Built stripped (-ldflags='-s -w'), so only .gopclntab can name its frames.
// usage: kw-stack-victim-go FILE [LINGER_MS]
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

//go:noinline
func deleteIt(path string) error {
	return os.Remove(path)
}

//go:noinline
func cleanupVolume(path string) error {
	return deleteIt(path)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kw-stack-victim-go FILE [LINGER_MS]")
		os.Exit(2)
	}
	if err := cleanupVolume(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) > 2 {
		ms, _ := strconv.Atoi(os.Args[2])
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
}
