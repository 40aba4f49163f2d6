#!/usr/bin/env bash
# Fails on a high-severity advisory in production dependencies. When the registry's audit endpoint
# cannot be reached (an intranet mirror without it), says so and does not fail the build.
set -uo pipefail
out=$(npm audit --omit=dev --audit-level=high 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
  echo "audit: no high-severity advisories in production dependencies"
  exit 0
fi
if grep -qiE 'audit endpoint returned an error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|405 Method Not Allowed' <<<"$out"; then
  echo "audit: SKIPPED — the npm audit endpoint is unreachable from here:"
  grep -iE 'error|warn' <<<"$out" | head -3
  exit 0
fi
echo "$out"
exit $rc
