#!/usr/bin/env bash
# The main job until the deploy role lands: render the chart for the spec's production example.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec "$ROOT/.tools/bin/helm" template dbbat "$ROOT/charts/dbbat" --namespace dbbat -f "$ROOT/tests/chart/values/production.yaml"
