#!/usr/bin/env bash
# Installs what streamflow's build, tests and demo need, from Debian's packages
# and the npm registry, skipping whatever is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	build-essential postgresql-15 postgresql-server-dev-15 postgresql-contrib
	libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libssl-dev pkg-config
	postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
	postgresql-15-pgq3 jq
	nodejs npm bc openssl curl
	chromium
	clang libclang-rt-14-dev llvm
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# a node from elsewhere (e.g. /usr/bin/node not from Debian) is fine too
if command -v node >/dev/null && command -v npm >/dev/null; then
	missing=("${missing[@]/nodejs}")
	missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"

if [ ${#missing[@]} -gt 0 ]; then
	echo "streamflow: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "streamflow: run as root (or install these packages): ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# the Debian package starts a cluster of its own; streamflow uses throwaway ones
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
	:
fi

# Node clients for the integration tests (npm ws, eventsource, pg; ws also
# drives headless Chromium over the DevTools protocol: test/integration/browser.mjs)
if [ -f test/package.json ] && [ ! -d test/node_modules ] || [ test/package.json -nt test/node_modules ]; then
	(cd test && npm ci --no-audit --no-fund --loglevel=error)
fi
