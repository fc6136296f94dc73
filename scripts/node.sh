#!/usr/bin/env bash
# Print the directory of a Node.js binary of version >= 22 (the project's engines), installing one
# when the machine's `node` is older: the npm registry's `node` package, pinned below, into
# <repo>/.tools/node (git-ignored). The Makefile puts the printed directory first on PATH, so
# `make` targets, npm, npx and the tests all run on that Node.
#
#   scripts/node.sh                               # prints e.g. /usr/local/bin or <repo>/.tools/node@22.23.3/node_modules/node/bin
#   GOSHIFT_NODE_PACKAGE=node@24 scripts/node.sh  # always that release (e.g. to run the tests on Node 24)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

NODE_MAJOR_MIN=22
# The Node release installed when the machine's is older (the `node` package on npm ships the binary).
NODE_PACKAGE="${GOSHIFT_NODE_PACKAGE:-node@22.23.3}"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_DIR/.tools/$NODE_PACKAGE"

# node_major BIN: the major version of a node binary (0 when it does not run).
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

system_node=$(command -v node || true)
if [[ -z ${GOSHIFT_NODE_PACKAGE:-} && -n $system_node && $(node_major "$system_node") -ge $NODE_MAJOR_MIN ]]; then
  dirname "$system_node"
  exit 0
fi
local_node="$TOOLS_DIR/node_modules/node/bin/node"
if [[ ! -x $local_node || $(node_major "$local_node") -lt $NODE_MAJOR_MIN ]]; then
  have npm || die "npm not found: install Node.js $NODE_MAJOR_MIN or newer (Debian: apt-get install nodejs npm)"
  say "Node.js on PATH is older than $NODE_MAJOR_MIN; installing $NODE_PACKAGE into .tools/$NODE_PACKAGE (npm)" >&2
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --no-save --loglevel=error "$NODE_PACKAGE" >&2 \
    || die "npm install $NODE_PACKAGE failed"
  [[ $(node_major "$local_node") -ge $NODE_MAJOR_MIN ]] || die "$local_node does not run as Node.js $NODE_MAJOR_MIN+"
fi
dirname "$local_node"
