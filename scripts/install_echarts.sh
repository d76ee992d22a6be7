#!/usr/bin/env bash
# Install the web app's browser libraries from the npm registry into the package's static folder:
# Apache ECharts (charts), htmx (partial page updates) and swagger-ui-dist (the /api/docs page).
# Nothing is fetched from a CDN at run time and nothing of these is committed to git
# (.gitignore ignores src/zonebrain/web/static/vendor/). `make install` runs this script.
#
# Usage: scripts/install_echarts.sh [--force]
# Env:   ECHARTS_VERSION, HTMX_VERSION, SWAGGER_UI_VERSION (npm version ranges), NPM (npm binary).
set -euo pipefail

ECHARTS_VERSION="${ECHARTS_VERSION:-^6.0.0}"
HTMX_VERSION="${HTMX_VERSION:-~2.0.4}"      # htmx 2.x: the API the templates use (htmx 4 changes it)
SWAGGER_UI_VERSION="${SWAGGER_UI_VERSION:-^5.17.0}"
NPM="${NPM:-npm}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/src/zonebrain/web/static/vendor"
stamp="$vendor/.installed"
wanted="echarts@$ECHARTS_VERSION htmx.org@$HTMX_VERSION swagger-ui-dist@$SWAGGER_UI_VERSION"

if [[ "${1:-}" != "--force" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" \
      && -f "$vendor/echarts.min.js" && -f "$vendor/htmx.min.js" ]]; then
  echo "web vendor libraries already installed ($wanted)"
  exit 0
fi
if ! command -v "$NPM" >/dev/null 2>&1; then
  echo "npm not found: install Node.js and npm (Debian: apt-get install npm), then rerun $0" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  "$NPM" init -y >/dev/null
  # --ignore-scripts: these packages need no install scripts; run none from the registry
  "$NPM" install --no-audit --no-fund --ignore-scripts --silent \
    "echarts@$ECHARTS_VERSION" "htmx.org@$HTMX_VERSION" "swagger-ui-dist@$SWAGGER_UI_VERSION"
)
rm -rf "$vendor"
mkdir -p "$vendor/swagger-ui"
nm="$work/node_modules"
cp "$nm/echarts/dist/echarts.min.js" "$vendor/echarts.min.js"
cp "$nm/echarts/LICENSE" "$vendor/LICENSE.echarts"
cp "$nm/htmx.org/dist/htmx.min.js" "$vendor/htmx.min.js"
cp "$nm/htmx.org/LICENSE" "$vendor/LICENSE.htmx"
cp "$nm/swagger-ui-dist/swagger-ui-bundle.js" "$nm/swagger-ui-dist/swagger-ui.css" "$vendor/swagger-ui/"
cp "$nm/swagger-ui-dist/LICENSE" "$vendor/swagger-ui/LICENSE"
versions="$(cd "$work" && node -e 'for (const p of ["echarts","htmx.org","swagger-ui-dist"]) console.log(p+"@"+require("./node_modules/"+p+"/package.json").version)')"
printf '%s\n' "$versions" > "$vendor/VERSIONS"
printf '%s' "$wanted" > "$stamp"
echo "installed into $vendor:"
printf '  %s\n' $versions
