# Sourced by every scripts/repro/<name>: option parsing, tool lookup, output dir, run().
#   $1 = --quick (smoke test, < 3 min) or nothing (reduced-scale default, < 30 min on 2 cores).
#   XSSM_BIN=DIR     tools already built there (default <repo>/build/bin, built with scripts/build)
#   XSSM_REPRO_OUT   raw results (HDF5) directory (default <repo>/out/repro/<name>)
#   XSSM_THREADS     OpenMP threads per tool (default 1)
#   XSSM_REPRO_JOBS  independent runs at once where a script has them (default: the number of cores)
#   XSSM_REPRO_RESULTS  where the table and figure go (default <repo>/docs/results; CI uses a scratch dir)
#   XSSM_REPRO_REPORT_ONLY=1  skip the runs; regenerate docs/results from the files in the output dir
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mode=default
for a in "$@"; do
  case "$a" in
    --quick) mode=quick ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$name: unknown option $a (use --quick or nothing)" >&2; exit 2 ;;
  esac
done
if [ -z "${XSSM_BIN:-}" ] && [ ! -x "$root/build/bin/xssm-train" ]; then
  "$root/scripts/build"
fi
bin=${XSSM_BIN:-$root/build/bin}
out=${XSSM_REPRO_OUT:-$root/out/repro/$name}
threads=${XSSM_THREADS:-1}
jobs_max=${XSSM_REPRO_JOBS:-$(nproc)}
results=${XSSM_REPRO_RESULTS:-$root/docs/results}
mkdir -p "$out" "$results"
py=/usr/bin/python3
run() { printf '+ %s\n' "$*" >&2; "$@"; }
gen()   { run "$bin/xssm-gen" --threads "$threads" -q "$@"; }
train() { run "$bin/xssm-train" --threads "$threads" -q "$@"; }
evalm() { run "$bin/xssm-eval" --threads "$threads" -q "$@"; }
# run_each FUNC ITEM...: `FUNC ITEM SEED` for every item (data seeds 1, 3, 5, …: FUNC may use
# SEED and SEED+1), $jobs_max calls at a time; fails when any call fails.
run_each() {
  local fn=$1 seed=1 p pids=() item
  shift
  for item in "$@"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 1; done
    "$fn" "$item" "$seed" & pids+=($!)
    seed=$((seed + 2))
  done
  for p in "${pids[@]}"; do wait "$p"; done
}
start_time=$(date +%s)
elapsed() { echo $(( $(date +%s) - start_time )); }
# record_run: after the runs, keep how they went beside the raw results (run time, jobs, 1/5/15-min
# load: was the machine shared?), so that XSSM_REPRO_REPORT_ONLY=1 reports them unchanged.
record_run() {
  echo "$(elapsed)" > "$out/run_seconds"
  echo "$jobs_max" > "$out/run_jobs"
  cut -d' ' -f1-3 /proc/loadavg > "$out/run_load"
}
jobs_used() { cat "$out/run_jobs" 2>/dev/null || echo "$jobs_max"; }
