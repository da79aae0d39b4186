#!/usr/bin/env bash
# Gate a deploy in CI: run the eval, fetch the baseline run folder, gate the run against the
# eval's `gate:` rules and the baseline, and write the pull-request comment.
#
#   examples/ci/gate.sh EVAL [OUT_DIR]
#
# Environment:
#   VERDICT          the verdict binary (default: verdict on PATH)
#   VERDICT_RUN_ARGS extra arguments for `verdict run` (e.g. "--variant local-word")
#   BASELINE_DIR     where the baseline run folder is (default: baseline-run); when it does not
#                    exist the regression rules are skipped, and the outputs say so
#   BASELINE_FETCH   a command that puts the baseline run folder into BASELINE_DIR (e.g. a
#                    download of the last main build's artifact); optional
#
# Writes OUT_DIR (default reports/ci-run): the run folder, gate.md (the comment),
# gate-junit.xml and gate.json. Exits with verdict gate's code: 0 pass, 1 a rule failed,
# 2 bad rules or folders, 3 the run is unfinished.
set -euo pipefail

eval_file=${1:?usage: examples/ci/gate.sh EVAL [OUT_DIR]}
out=${2:-reports/ci-run}
verdict=${VERDICT:-verdict}
baseline=${BASELINE_DIR:-baseline-run}

# 1. Run the eval (a fresh folder: a leftover one from an earlier job would be refused).
rm -rf "$out"
# shellcheck disable=SC2086 # VERDICT_RUN_ARGS is a list of arguments
"$verdict" run "$eval_file" --out "$out" ${VERDICT_RUN_ARGS:-}

# 2. Fetch the baseline run folder.
if [[ -n "${BASELINE_FETCH:-}" ]]; then
  bash -c "$BASELINE_FETCH" || echo "gate.sh: could not fetch the baseline; gating without it" >&2
fi

# 3. Gate. The markdown goes to gate.md for the comment, and to $GITHUB_STEP_SUMMARY when set.
status=0
"$verdict" gate "$out" --baseline "$baseline" --baseline-optional \
  --junit "$out/gate-junit.xml" --markdown "$out/gate.md" || status=$?
"$verdict" gate "$out" --baseline "$baseline" --baseline-optional --format json \
  > "$out/gate.json" 2>/dev/null || true
exit "$status"
