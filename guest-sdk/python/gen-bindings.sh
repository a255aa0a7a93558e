#!/usr/bin/env bash
# Writes the WIT's Python bindings as stubs into guest-sdk/python/bindings/ (git-ignored), for
# editors and type checkers (add it to your analysis path). Builds do not use them:
# componentize-py generates the real ones from the same wit/ while it builds a component.
set -euo pipefail
cd "$(dirname "$0")"
componentize-py -d ../../wit -w described-plugin bindings bindings
echo "wrote $(pwd)/bindings"
