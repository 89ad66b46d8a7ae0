#!/usr/bin/env bash
# fetch-assets.sh fetches the browser libraries Perdura serves (and the accessibility checker its
# browser tests inject) from the npm registry, pinned here by version, and records what it took
# in internal/web/static/vendor/VERSIONS. Perdura embeds the files: nothing is loaded from a CDN.
#
#   scripts/fetch-assets.sh          re-fetch and rewrite the vendored files
#   scripts/fetch-assets.sh -check   fetch into a temporary folder and fail if the committed
#                                    files differ from what the registry serves for these versions
set -euo pipefail
cd "$(dirname "$0")/.."

# package@version  file-in-the-package  where-it-goes
assets=(
	"htmx.org@2.0.11          dist/htmx.min.js                  internal/web/static/vendor/htmx.min.js"
	"cytoscape@3.34.4         dist/cytoscape.min.js             internal/web/static/vendor/cytoscape.min.js"
	"cytoscape-dagre@4.0.1    dist/cytoscape-dagre.min.js       internal/web/static/vendor/cytoscape-dagre.min.js"
	"chart.js@4.6.1           dist/chart.umd.min.js             internal/web/static/vendor/chart.umd.min.js"
	"axe-core@4.14.1          axe.min.js                        internal/web/testdata/axe.min.js"
)

check=false
[[ "${1:-}" == "-check" ]] && check=true

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
versions="$tmp/VERSIONS"
echo "# package@version file sha256 license — written by scripts/fetch-assets.sh" >"$versions"
status=0
for a in "${assets[@]}"; do
	read -r pkg file dest <<<"$a"
	dir="$tmp/$(echo "$pkg" | tr '/@' '__')"
	mkdir -p "$dir"
	# npm pack checks the tarball against the registry's integrity hash.
	(cd "$dir" && npm pack --silent "$pkg" >/dev/null 2>&1) || { echo "npm pack $pkg failed" >&2; exit 1; }
	tar xzf "$dir"/*.tgz -C "$dir"
	src="$dir/package/$file"
	license=$(node -e "console.log(require('$dir/package/package.json').license)")
	sum=$(sha256sum "$src" | cut -d' ' -f1)
	echo "$pkg $file $sum $license" >>"$versions"
	if $check; then
		if ! cmp -s "$src" "$dest"; then echo "differs from $pkg: $dest" >&2; status=1; fi
	else
		mkdir -p "$(dirname "$dest")"
		cp "$src" "$dest"
	fi
done
if $check; then
	cmp -s "$versions" internal/web/static/vendor/VERSIONS || { echo "VERSIONS differs" >&2; status=1; }
else
	cp "$versions" internal/web/static/vendor/VERSIONS
fi
exit $status
