#!/usr/bin/env bash
# Re-vendors the browser libraries that the console and GraphiQL load, from the npm registry,
# at the versions locked in web/package-lock.json. Its output (iafactory/web/static/vendor/)
# is committed: serving needs neither npm nor the internet. Each library's licence sits beside it.
#
#   scripts/vendor_web.sh          # after editing web/package.json: npm install --package-lock-only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp web/package.json web/package-lock.json web/.npmrc "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
modules="$work/node_modules"
vendor="$root/iafactory/web/static/vendor"
rm -rf "$vendor"

copy() {  # copy PACKAGE DEST FILE... : files of one package, its licence and version beside them
  local package=$1 dest=$2
  shift 2
  mkdir -p "$vendor/$dest"
  for file in "$@"; do cp "$modules/$package/$file" "$vendor/$dest/"; done
  for licence in LICENSE LICENSE.md LICENSE.txt; do
    if [[ -f "$modules/$package/$licence" ]]; then
      cp "$modules/$package/$licence" "$vendor/$dest/LICENSE-$(basename "$package")"
    fi
  done
  node -e 'const p = require(process.argv[1]); console.log(`${p.name} ${p.version} (${p.license})`)' \
    "$modules/$package/package.json" >> "$vendor/$dest/VERSIONS"
}

copy react react umd/react.production.min.js
copy react-dom react umd/react-dom.production.min.js
copy graphiql graphiql graphiql.min.js graphiql.min.css
copy graphql graphiql  # bundled inside graphiql.min.js: its licence and version only
copy graphql-ws graphql-ws dist/client.js "dist/$(cd "$modules/graphql-ws/dist" && ls common-*.js)"
copy htm htm preact/standalone.module.js
copy preact htm  # htm's standalone module bundles preact: its licence and version only

# graphiql.min.js bundles its whole dependency tree: every installed package's licence, in one file.
node - "$modules" > "$vendor/THIRD-PARTY-LICENSES.txt" <<'JS'
const fs = require("fs"), path = require("path");
const root = process.argv[2], seen = new Set(), out = [];
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith("@")) { walk(full); continue; }
    const manifest = path.join(full, "package.json");
    if (fs.existsSync(manifest)) {
      const p = JSON.parse(fs.readFileSync(manifest, "utf8"));
      const key = `${p.name}@${p.version}`;
      if (!seen.has(key)) {
        seen.add(key);
        const licence = fs.readdirSync(full).find((f) => /^(licen[cs]e|copying)/i.test(f));
        const text = licence ? fs.readFileSync(path.join(full, licence), "utf8").trim() : `(no licence file; package.json says ${p.license})`;
        out.push([key, `== ${key} (${p.license})\n\n${text}\n`]);
      }
    }
    if (fs.existsSync(path.join(full, "node_modules"))) walk(path.join(full, "node_modules"));
  }
}
walk(root);
out.sort((a, b) => a[0].localeCompare(b[0]));
console.log(out.map((x) => x[1]).join("\n"));
JS

# Source-map comments would make the browser ask for files that are not shipped.
find "$vendor" -name '*.js' -o -name '*.css' | xargs sed -i -E '/^\/[/*][#@] sourceMappingURL=.*$/d'
du -sh "$vendor"
