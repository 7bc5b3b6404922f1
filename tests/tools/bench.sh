# xssm-bench end to end: a tiny grid (one size, 1 repeat, no warm-up), every requested model has a
# model row (and no row failed its step-vs-forward check), -o csv/json parse, --h5 is readable,
# --dump-weights writes the tensors vs_pytorch loads, bad options exit 2. No timing assertions.
source "$(dirname "$0")/lib.sh"

models="mlstm,slstm,xlstm[1:1],lstm,mamba,mamba2,s4d,transformer"
tiny=(--batch 2 --len 8 --d-model 32 --heads 2 --d-state 4 --chunk-size 4 --repeats 1 --warmup 0 --threads 1)

xssm-bench --models "$models" "${tiny[@]}" --no-peak --h5 bench.h5 >table.md 2>bench.err \
  || { cat bench.err >&2; fail "xssm-bench exited non-zero"; }
for m in mlstm slstm 'xlstm\[1:1\]' lstm mamba mamba2 s4d transformer; do
  grep -Eq "^\| $m \| model \| [^|]+ \| train \|" table.md || { cat table.md >&2; fail "no model/train row for $m"; }
done
# every mixer kind has fwd, bwd and step rows, bare and in its block
for k in mlstm slstm lstm mamba mamba2 s4d transformer; do
  for scope in mixer block; do
    for op in fwd bwd step; do
      grep -Eq "^\| [^|]+ \| $scope \| $k \| $op \|" table.md || { cat table.md >&2; fail "no $scope $k $op row"; }
    done
  done
done
grep -q "check failed" table.md && fail "a row failed validation"
# step rows of constant-state mixers: the same state bytes after 1 and after L steps (awk on md columns)
awk -F'|' '$5 ~ /step/ && $4 !~ /transformer/ && $17 != $18 { bad = 1; print } END { exit bad }' table.md \
  || fail "state bytes grew in step mode"

# HDF5: one entry per row in every column, with labels and units (the library's own reader: xssm-plot-data
# is not required here, so check with h5dump when present).
if command -v h5dump >/dev/null; then
  h5dump -A bench.h5 >attrs.txt
  grep -q '"metrics/1"' attrs.txt || fail "bench.h5 has no xssm_format metrics/1"
  grep -q 'x_label' attrs.txt || fail "bench.h5 datasets have no x_label"
  grep -q 'gemm_gflops' attrs.txt || fail "bench.h5 has no /peaks"
  rows=$(grep -c '^| ' table.md); rows=$((rows - 1))   # minus the header (the rule line starts with "| -")
  rows=$((rows - $(grep -c '^| -' table.md)))
  h5dump -H -d /results/tokens_per_s bench.h5 | grep "( $rows )" >/dev/null || fail "/results/tokens_per_s does not have $rows rows"
fi

# Other formats.
xssm-bench --models lstm "${tiny[@]}" --no-peak --scopes model -o csv >t.csv
head -1 t.csv | grep '^model,scope,kind,op,batch' >/dev/null || fail "csv header"
[ "$(wc -l <t.csv)" -ge 3 ] || fail "csv has no rows"
xssm-bench --models lstm "${tiny[@]}" --no-peak --scopes model -o json >t.json
grep -q '"rows"' t.json || fail "json output"
if command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import json' 2>/dev/null; then
  /usr/bin/python3 -c 'import json,sys; d=json.load(open("t.json")); assert len(d["rows"]) == 2' || fail "json does not parse"
fi

# Single seq/ op, and the peak measurement path (small, 1 repeat).
xssm-bench --op mlstm_chunkwise --batch 1 --len 16 --d-model 16 --heads 2 --chunk-size 4 --repeats 1 --warmup 0 \
  --ops fwd,bwd >op.md 2>op.err || { cat op.err >&2; fail "--op mlstm_chunkwise"; }
grep -Eq "^\| - \| op \| mlstm_chunkwise \| fwd \|" op.md || { cat op.md >&2; fail "no op row"; }
grep -q "GEMM peak" op.md || fail "no machine peak line"

# Weights for vs_pytorch.
xssm-bench --models mamba --batch 2 --len 5 --d-model 16 --ops none --dump-weights w.h5 --no-peak
[ -s w.h5 ] || fail "--dump-weights wrote nothing"
if command -v h5dump >/dev/null; then
  h5dump -n w.h5 | grep '/0/params/blocks/0/mixer/A_log' >/dev/null || fail "w.h5 lacks the parameters"
  h5dump -n w.h5 | grep '/0/logits' >/dev/null || fail "w.h5 lacks the logits"
fi

# Usage errors.
expect 2 "unknown option|unrecognised" -- xssm-bench --no-such-option
expect 2 "-o must be md, csv or json" -- xssm-bench -o xml
expect 2 "--len expects" -- xssm-bench --len 0
expect 2 "unknown model spec" -- xssm-bench --models nosuch
expect 2 "--op .* is unknown" -- xssm-bench --op nosuch --no-peak --len 4 --d-model 8 --heads 2
echo "bench: ok"
