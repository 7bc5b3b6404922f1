# Sourced by the end-to-end tool tests (tests/tools/*.sh). Provides the tools on PATH, a clean
# scratch directory as the working directory, and `expect` for exit codes and error texts.
set -euo pipefail
: "${XSSM_BIN:?XSSM_BIN must point at the bin directory of the build}"
export PATH="$XSSM_BIN:$PATH"
export XSSM_NO_PROGRESS=1
SCRATCH=${XSSM_SCRATCH:-$(mktemp -d)}
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
cd "$SCRATCH"

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE REGEX -- COMMAND...: the command exits with CODE, and (for CODE != 0) its stderr
# (for CODE 1 and 2) has exactly one "error:" line matching REGEX (extended regex).
expect() {
  local code=$1 re=$2
  shift 3
  set +e
  "$@" >expect.out 2>expect.err </dev/null
  local rc=$?
  set -e
  [ "$rc" = "$code" ] || { cat expect.err >&2; fail "exit $rc, expected $code: $*"; }
  if [ "$code" = 1 ] || [ "$code" = 2 ]; then
    local n
    n=$(grep -c "error:" expect.err || true)
    [ "$n" = 1 ] || { cat expect.err >&2; fail "expected one error line, got $n: $*"; }
    grep -qE -- "$re" expect.err || { cat expect.err >&2; fail "stderr does not match /$re/: $*"; }
  fi
}

# same_bytes A B: two files are byte-identical.
same_bytes() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }
