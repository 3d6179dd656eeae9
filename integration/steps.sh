# Shared by the integration shell scripts (source it after setting WORK):
# run_step and expect_eq. Steps run in a subshell with `set -euo pipefail`; a failed
# step prints the tail of its output and is counted, and the script goes on to the
# next step, so one run reports every failure.

PASSED=0
FAILED=0

# run_step NAME COMMAND...: run one step, print PASS/FAIL with its time.
run_step() {
    local name="$1"; shift
    local t0=$SECONDS rc
    set +e
    ( set -euo pipefail; "$@" ) >"$WORK/step.out" 2>&1
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        echo "PASS $name ($((SECONDS - t0))s)"; PASSED=$((PASSED + 1))
    else
        echo "FAIL $name (rc=$rc); output:"; sed 's/^/    /' "$WORK/step.out" | tail -n 40
        FAILED=$((FAILED + 1))
    fi
}

# expect_eq WHAT EXPECTED ACTUAL: fail (showing both, control characters visible)
# unless they are equal.
expect_eq() {
    if [[ "$2" != "$3" ]]; then
        echo "$1: expected:"; printf '%s\n' "$2" | head -n 20 | cat -A
        echo "$1: got:";      printf '%s\n' "$3" | head -n 20 | cat -A
        return 1
    fi
}
