#!/usr/bin/env bash
# Runs unit test binaries; prints one closing line "N passed, N failed" over all binaries.
set -u
vg=()
if [ "${1:-}" = "--valgrind" ]; then
        vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
        shift
fi
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 failed=()
for t in "$@"; do
        if out=$("${vg[@]}" "$t" 2>&1); then
                pass=$((pass + 1))
        else
                fail=$((fail + 1)); failed+=("$t")
                printf '%s\n' "$out" | tail -n 40
        fi
        printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED)  \]' | sed "s|^|$(basename "$t"): |"
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
