#!/usr/bin/env bash
# Validates every dashboard in dashboards/ against Grafana's published dashboard schema, then
# proves the check can fail.
#
# @grafana/schema ships the dashboard model as TypeScript types (dist/types/raw/dashboard/x/
# types.gen.d.ts), no JSON schema; ts-json-schema-generator turns its `Dashboard` interface into
# one (strict: no property the type does not declare), which ajv checks each dashboard against,
# along with our own rules (check.js). Versions are pinned in package-lock.json; `npm ci` installs
# them into node_modules/ here (git-ignored).
#
# Usage: dashboards/schema-check/check.sh    (needs node and npm; exits non-zero on any failure)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

npm ci --no-audit --no-fund --loglevel=error
mkdir -p build
./node_modules/.bin/ts-json-schema-generator \
    --path node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts \
    --type Dashboard --out build/dashboard.schema.json
echo "schema: build/dashboard.schema.json from @grafana/schema $(node -p 'require("@grafana/schema/package.json").version')"

node check.js build/dashboard.schema.json ../*.json

# The negative check: broken copies of a dashboard, each of which must be rejected.
broken="$(mktemp -d)"
trap 'rm -rf "$broken"' EXIT
node break.js ../zokio-overview.json "$broken"
accepted=0
for f in "$broken"/*.json; do
    if why="$(node check.js build/dashboard.schema.json "$f" 2>&1 >/dev/null)"; then
        echo "NOT rejected: $(basename "$f")" >&2
        accepted=$((accepted + 1))
    else
        echo "rejected as expected: ${why%%$'\n'*}"
    fi
done
if [ "$accepted" -ne 0 ]; then
    echo "schema-check: $accepted broken dashboards passed the check" >&2
    exit 1
fi
echo "schema-check: every broken copy was rejected"
