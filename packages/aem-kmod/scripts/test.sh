#!/usr/bin/env bash
# `npm test` of @aem/kmod (run by Nx from the root `npm test`): the VM test
# run when the toolchain is present, else a plain skip.  Either way it
# writes $AEM_TEST_REPORT_DIR/aem-kmod.json for tools/run-tests.mjs, the
# shape jest's summary reporter writes for the TypeScript packages.
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=toolchain.sh
. "$pkg/scripts/toolchain.sh"
report="${AEM_TEST_REPORT_DIR:+$AEM_TEST_REPORT_DIR/$(basename "$pkg").json}"

aem_find_toolchain
if [ -n "$AEM_MISSING" ]; then
	why="kernel VM tests skipped: toolchain not installed ($AEM_MISSING); run packages/aem-kmod/scripts/install-toolchain.sh as root"
	echo "@aem/kmod: $why"
	if [ -n "$report" ]; then
		mkdir -p "$(dirname "$report")"
		node -e 'process.stdout.write(JSON.stringify({project: "@aem/kmod", passed: 0, failed: 0, skipped: [process.argv[1]], failures: []}))' \
			"$why" >"$report"
	fi
	exit 0
fi
exec "$pkg/scripts/vm-test.sh" ${report:+--json "$report"} "$@"
