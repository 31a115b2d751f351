//go:build tools

// Pins Prometheus for the canary tests (test/tools/prometheus.mjs builds cmd/prometheus from this module).
package tools

import _ "github.com/prometheus/prometheus/cmd/prometheus"
