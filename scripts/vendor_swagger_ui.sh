#!/usr/bin/env bash
# Vendors Swagger UI (the /api/docs page) from the npm registry at a locked version, with its
# licence, into the package: the docs page works with no internet (no CDN).
set -euo pipefail
VERSION="${1:-5.32.0}"
cd "$(dirname "$0")/.."
target=iafactory/rest/static/swagger-ui
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "swagger-ui-dist@$VERSION" --silent >/dev/null && tar xzf "swagger-ui-dist-$VERSION.tgz")
for file in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
  cp "$work/package/$file" "$target/$file"
done
echo "swagger-ui-dist $VERSION (npm), Apache-2.0: see LICENSE and NOTICE" > "$target/VERSION"
ls -l "$target"
