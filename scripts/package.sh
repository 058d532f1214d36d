#!/usr/bin/env bash
# npm run package: builds (unless KW_SKIP_BUILD=1) and packs kwitness-<version>.vsix at the repo
# root with @vscode/vsce. Contents are the allowlist in .vscodeignore: the esbuild bundle
# dist/extension.js (ssh2 is bundled into it, hence --no-dependencies), the webview build
# dist/webview/, media/, and the static agents dist/agent/kwitness-agent-<arch>.
# Prints the vsix path on the last line.
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$KW_ROOT"
t=$(kw_now)
[ "${KW_SKIP_BUILD:-0}" = 1 ] || bash scripts/build.sh
missing=()
for f in dist/extension.js dist/webview media; do [ -e "$f" ] || missing+=("$f"); done
compgen -G 'dist/agent/kwitness-agent-*' >/dev/null || missing+=("dist/agent/kwitness-agent-<arch>")
if [ ${#missing[@]} -gt 0 ]; then echo "package: missing ${missing[*]} (did scripts/build.sh run?)" >&2; exit 1; fi
# The vsix ships no node_modules: the bundle must carry ssh2 itself.
if grep -qE "require\\(['\"]ssh2['\"]\\)" dist/extension.js; then
  echo "package: dist/extension.js requires ssh2 at runtime; bundle it (esbuild) instead of marking it external" >&2; exit 1
fi
version=$(node -p "require('./package.json').version")
vsix=$KW_ROOT/kwitness-$version.vsix
rm -f "$vsix"
# vsce 4 needs Node >= 22: env.sh put Node 24 first on PATH.
# the details page: a short readme without the repository README's docs/ images
node node_modules/@vscode/vsce/vsce package --no-dependencies --allow-missing-repository --skip-license --readme-path docs/marketplace.md \
  -o "$vsix" >"$KW_CACHE/vsce.log" 2>&1 || { cat "$KW_CACHE/vsce.log" >&2; exit 1; }
echo "package: $(basename "$vsix") $(stat -c %s "$vsix") bytes, $(python3 -c "import sys,zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))" "$vsix") files, in $(kw_elapsed "$t")s"
echo "$vsix"
