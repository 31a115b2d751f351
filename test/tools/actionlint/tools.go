//go:build tools

// Pins actionlint for `npm test` (test/tools/build.mjs builds ./cmd from this module).
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
