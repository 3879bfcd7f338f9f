// Benchmark peer: the upstream Go thin client
// (github.com/katzenpost/katzenpost/client/thin, v0.0.99) running the same
// workload as the SDK — NextMessageBoxIndex with W requests in flight (W
// goroutines) — driven by the benchmark over stdin/stdout JSON lines:
//
//	kprx-go-peer thinclient.toml
//	<- {"ready":true}
//	-> {"cmd":"run","count":2000,"inFlight":64,"index":"<hex>"}
//	<- {"ms":123.4,"count":2000}
//	-> {"cmd":"quit"}
//
// Built by bench/peers/install-peers.ts in a throwaway module under .cache/ (see
// there). Logging at ERROR: we compare protocol work, not log formatting.
// Our code, not upstream's.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/katzenpost/hpqc/bacap"
	"github.com/katzenpost/katzenpost/client/config"
	"github.com/katzenpost/katzenpost/client/thin"
)

type command struct {
	Cmd      string `json:"cmd"`
	Count    int    `json:"count"`
	InFlight int    `json:"inFlight"`
	Index    string `json:"index"`
}

func say(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func run(client *thin.ThinClient, cmd command) (float64, error) {
	raw, err := hex.DecodeString(cmd.Index)
	if err != nil {
		return 0, err
	}
	index, err := bacap.NewEmptyMessageBoxIndexFromBytes(raw)
	if err != nil {
		return 0, err
	}
	var remaining atomic.Int64
	remaining.Store(int64(cmd.Count))
	var failure atomic.Value
	var wg sync.WaitGroup
	workers := min(cmd.InFlight, cmd.Count)
	started := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for remaining.Add(-1) >= 0 {
				if _, err := client.NextMessageBoxIndex(index); err != nil {
					failure.CompareAndSwap(nil, err.Error())
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(started)
	if f := failure.Load(); f != nil {
		return 0, fmt.Errorf("%s", f)
	}
	return float64(elapsed.Microseconds()) / 1000, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kprx-go-peer thinclient.toml")
		os.Exit(2)
	}
	cfg, err := thin.LoadFile(os.Args[1])
	if err != nil {
		say(map[string]any{"error": err.Error()})
		os.Exit(1)
	}
	client := thin.NewThinClient(cfg, &config.Logging{Level: "ERROR"})
	if err := client.Dial(); err != nil {
		say(map[string]any{"error": err.Error()})
		os.Exit(1)
	}
	say(map[string]any{"ready": true})

	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		var cmd command
		if err := json.Unmarshal(lines.Bytes(), &cmd); err != nil {
			say(map[string]any{"error": err.Error()})
			continue
		}
		if cmd.Cmd == "quit" {
			break
		}
		ms, err := run(client, cmd)
		if err != nil {
			say(map[string]any{"error": err.Error()})
			continue
		}
		say(map[string]any{"ms": ms, "count": cmd.Count})
	}
	client.Close()
}
