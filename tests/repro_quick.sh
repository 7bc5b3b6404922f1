#!/usr/bin/env bash
# CI smoke test of one paper reproduction: scripts/repro/NAME --quick into a scratch directory
# (never the committed docs/results), then check that its table and figure were written and the
# table has result rows. Usage: tests/repro_quick.sh NAME   (XSSM_BIN, XSSM_SRC, XSSM_SCRATCH set by ctest)
set -euo pipefail
name=$1
: "${XSSM_BIN:?}" "${XSSM_SRC:?}" "${XSSM_SCRATCH:?}"
rm -rf "$XSSM_SCRATCH"
mkdir -p "$XSSM_SCRATCH"
export XSSM_REPRO_OUT=$XSSM_SCRATCH/out XSSM_REPRO_RESULTS=$XSSM_SCRATCH/results XSSM_NO_PROGRESS=1
"$XSSM_SRC/scripts/repro/$name" --quick > "$XSSM_SCRATCH/log.txt" 2>&1 || { tail -30 "$XSSM_SCRATCH/log.txt" >&2; exit 1; }
md=$XSSM_REPRO_RESULTS/$name.md
png=$XSSM_REPRO_RESULTS/$name.png
[ -s "$md" ] || { echo "FAIL: $md not written" >&2; exit 1; }
[ -s "$png" ] || { echo "FAIL: $png not written" >&2; exit 1; }
grep -q "QUICK MODE" "$md" || { echo "FAIL: $md does not say it is a quick-mode run" >&2; exit 1; }
rows=$(grep -c '^| [^-]' "$md" || true)   # table lines other than separators, headers included
[ "$rows" -ge 3 ] || { echo "FAIL: $md has $rows table lines, expected a header and result rows" >&2; exit 1; }
echo "repro/$name --quick: $rows table lines, $(wc -c < "$png") bytes of figure"
