#!/usr/bin/env bash
# xssm-probe end to end: an untrained (step 0) and a briefly trained checkpoint, the three probe
# kinds, probe/1 contents through xssm-plot-data, pipes = files, 1 thread = 2 threads, errors.
source "$(dirname "$0")/lib.sh"

MODEL=(--model mlstm --d-model 16 --num-blocks 1)
xssm-gen mqar --n 48 --seq-len 16 --kv-pairs 3 --vocab 32 --seed 1 -o mqar.h5
xssm-gen noise --n 12 --seq-len 40 --vocab 4 --seed 2 -o noise.h5
xssm-train "${MODEL[@]}" --data mqar.h5 --steps 2 --batch-size 8 --seed 3 -o run.h5

# capacity: curves with axis labels, MC per source, state sizes.
xssm-probe run.h5 --data noise.h5 --probe capacity --max-delay 6 --seed 1 -o cap.h5
xssm-plot-data --list cap.h5 >list.txt
grep -q "/capacity/mc" list.txt || fail "no /capacity/mc"
grep -q "/state/numel" list.txt || fail "no /state/numel"
grep -q "/capacity/blocks/0/output/r2 .*(7) float64 .*vs /capacity/delay" list.txt || fail "no r2 curve over delays"
xssm-plot-data cap.h5 --y /capacity/blocks/0/output/r2 -o cap.tsv
[ "$(grep -vc '^#' cap.tsv)" = 7 ] || fail "expected 7 delays"
# r²(k) ≤ 1 per channel: MC ≤ (K+1)·(V−1) = 7·3 (and ≤ the state size).
xssm-plot-data cap.h5 --y /capacity/mc -o - | awk '!/^#/ && NF == 2 && ($2 > 21.0 || $2 < 0) {exit 1}' ||
  fail "memory capacity outside [0, 21]"
xssm-plot-data cap.h5 --y /capacity/blocks/0/output/r2 -o cap.png
[ -s cap.png ] || fail "empty capacity plot"

# Same numbers through pipes and with 2 threads.
xssm-gen noise --n 12 --seq-len 40 --vocab 4 --seed 2 -o - |
  xssm-probe run.h5 --data - --probe capacity --max-delay 6 --seed 1 --threads 2 -o - >cap_pipe.h5
for ds in /capacity/mc /capacity/blocks/0/output/r2 /state/numel; do
  diff <(xssm-plot-data cap.h5 --y $ds -o -) <(xssm-plot-data cap_pipe.h5 --y $ds -o -) >/dev/null ||
    fail "$ds differs between file/1 thread and pipe/2 threads"
done
cp cap.h5 cap_first.h5
xssm-probe run.h5 --data noise.h5 --probe capacity --max-delay 6 --seed 1 -o cap.h5
same_bytes cap.h5 cap_first.h5

# recall and track on MQAR; an untrained model too (step 0 would be a random-feature baseline).
xssm-probe run.h5 --data mqar.h5 --probe recall --pairs 1,3 -o recall.h5
xssm-plot-data recall.h5 --y /recall/chance -o - | grep -vq '^#' || fail "no recall curve"
xssm-probe run.h5 --data mqar.h5 --probe track --label value --positions 0:16:2 -o track.h5
xssm-plot-data --list track.h5 | grep -q "/track/value/chance" || fail "no /track/value/chance"

# Errors.
expect 2 "--probe must be capacity, recall or track" -- xssm-probe run.h5 --data noise.h5 --probe nope -o x.h5
expect 1 "noise.h5: /labels/nope: not found" -- xssm-probe run.h5 --data noise.h5 --probe track --label nope -o x.h5
expect 1 "run.h5" -- xssm-probe run.h5 --data run.h5 --probe capacity -o x.h5
expect 1 "missing.h5" -- xssm-probe missing.h5 --data noise.h5 --probe capacity -o x.h5
expect 2 "--max-delay" -- xssm-probe run.h5 --data noise.h5 --probe capacity --max-delay 40 -o x.h5
[ ! -e x.h5 ] || fail "a failed run left x.h5"
echo "probe.sh: ok"
