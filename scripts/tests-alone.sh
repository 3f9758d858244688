#!/usr/bin/env bash
# Runs every test of the given files alone, one vitest run per test, and reports those that fail (or do not run)
# without the tests before them. A test that only passes after an earlier `it` of its file created a session, a
# connection or a proxy hides its real failure behind that earlier one's and cannot be rerun by itself.
#
#   bash scripts/tests-alone.sh test/integration/proxy-rabbitmq.test.ts [more files...]
#
# Not part of `npm test`: it costs one vitest start per test (plus a RabbitMQ start for files that use it).
# Exit status 1 when any test fails alone.
set -uo pipefail

if [ $# -eq 0 ]; then
  echo "usage: bash scripts/tests-alone.sh FILE.test.ts [FILE.test.ts...]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
total=0

for file in "$@"; do
  if [ ! -f "$file" ]; then
    echo "$file: no such file" >&2
    failed=1
    continue
  fi
  # Listing collects the tests without running them; a file that asks for RabbitMQ still needs it listed with
  # the broker, because its suites skip themselves (and drop out of the list) without one.
  nobroker=1
  if grep -q "inject('rabbitmq')" "$file"; then nobroker=0; fi
  if ! STOMPSCOPE_NO_BROKER=$nobroker npx vitest list "$file" --json="$tmp/list.json" >"$tmp/list.err" 2>&1; then
    echo "$file: listing its tests failed:" >&2
    tail -5 "$tmp/list.err" >&2
    failed=1
    continue
  fi
  # vitest matches -t against the suite and test names joined by spaces; the list joins them with " > ", which a
  # test's own name may contain too, so each " > " matches either. Each name becomes an anchored, escaped pattern
  # (and the run below checks that it selected exactly one test).
  node -e '
    const tests = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const t of tests) {
      const escaped = t.name.split(" > ").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      const pattern = "^" + escaped.join("(?: > | )") + "$";
      process.stdout.write(t.name + "\t" + pattern + "\n");
    }' "$tmp/list.json" >"$tmp/names.tsv"

  while IFS=$'\t' read -r name pattern; do
    total=$((total + 1))
    npx vitest run "$file" -t "$pattern" --reporter=json --outputFile="$tmp/result.json" \
      >"$tmp/out.log" 2>&1 </dev/null
    # Exactly one test must have run and passed; a pattern that selects none or several is reported too.
    node -e '
      const fs = require("fs");
      let verdict = "no result", why = "";
      try {
        const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
        const ran = r.numPassedTests + r.numFailedTests;
        if (r.numFailedTests > 0 || r.numFailedTestSuites > 0) verdict = "FAIL";
        else if (ran === 1) verdict = "ok";
        else if (ran === 0 && r.numPendingTests + r.numTodoTests > 0) verdict = "skipped";
        else verdict = "selected " + ran + " tests";
        why = r.testResults.flatMap((t) => [t.message || "", ...t.assertionResults.flatMap((a) => a.failureMessages)])
          .filter(Boolean).map((m) => m.split("\n")[0].slice(0, 300))[0] || "";
      } catch {}
      fs.writeFileSync(process.argv[2], verdict);
      fs.writeFileSync(process.argv[3], why);' "$tmp/result.json" "$tmp/verdict" "$tmp/why"
    verdict=$(cat "$tmp/verdict")
    rm -f "$tmp/result.json"
    printf '%-8s %s :: %s\n' "$verdict" "$file" "$name"
    if [ "$verdict" != ok ] && [ "$verdict" != skipped ]; then
      failed=1
      if [ -s "$tmp/why" ]; then sed 's/^/    /' "$tmp/why"; echo; else tail -5 "$tmp/out.log" | sed 's/^/    /'; fi
    fi
  done <"$tmp/names.tsv"
done

echo "$total tests run alone; $([ $failed -eq 0 ] && echo 'all passed' || echo 'some FAILED')"
exit $failed
