#!/usr/bin/env bash
# xssm-train and xssm-eval end to end: pipes, resume bit-identical, SIGTERM, kill -9 during a
# checkpoint write, NaN stop, and every bad input with its one-line error and exit code.
source "$(dirname "$0")/lib.sh"

xssm-gen mqar --n 64 --seq-len 16 --kv-pairs 2 --vocab 32 --seed 1 -o train.h5
xssm-gen mqar --n 16 --seq-len 16 --kv-pairs 2 --vocab 32 --seed 2 -o valid.h5
small=(--model 'xlstm[1:1]' --d-model 16 --num-heads 2 --round-to 16 --qkv-blocksize 4 --batch-size 8 --seed 3 --log-every 2)

# Pipe and file give identical checkpoints (same parameters and log).
xssm-train "${small[@]}" --data train.h5 --steps 6 -o a.h5
xssm-gen mqar --n 64 --seq-len 16 --kv-pairs 2 --vocab 32 --seed 1 -o - | xssm-train "${small[@]}" --data - --steps 6 -o - > b.h5
h5diff a.h5 b.h5 /params /params >/dev/null || fail "pipe and file training differ"
h5dump -a /xssm_format a.h5 | grep -q 'checkpoint/1' || fail "checkpoint has no xssm_format"
for c in step loss accuracy lr grad_norm tokens_per_s; do
  h5dump -d /log/$c a.h5 >/dev/null || fail "/log/$c missing"
done

# Resume: 3 + 3 steps = 6 steps, bit for bit.
xssm-train "${small[@]}" --data train.h5 --steps 3 -o r.h5
xssm-train "${small[@]}" --data train.h5 --steps 6 --resume r.h5 -o r.h5
h5diff r.h5 a.h5 /params /params >/dev/null || fail "resumed run differs from the uninterrupted one"
h5diff r.h5 a.h5 /optimizer /optimizer >/dev/null || fail "resumed optimizer state differs"

# Evaluation: JSON line on stdout, metrics/1 file; file and pipe agree.
xssm-eval a.h5 --data valid.h5 -o m1.h5 > m1.json
grep -q '"accuracy":' m1.json || fail "no JSON summary"
xssm-gen mqar --n 16 --seq-len 16 --kv-pairs 2 --vocab 32 --seed 2 -o - | xssm-eval a.h5 --data - -o m2.h5 > m2.json
h5diff m1.h5 m2.h5 /accuracy_by_position /accuracy_by_position >/dev/null || fail "eval through a pipe differs"
[ "$(sed 's/"data":"[^"]*"//' m1.json)" = "$(sed 's/"data":"[^"]*"//' m2.json)" ] || fail "JSON summaries differ"
xssm-eval a.h5 --data valid.h5 --dump logits -o d.h5 >/dev/null
h5dump -H -d /dump/logits d.h5 | grep -q 'DATASPACE  SIMPLE { ( 16, 16, 32 )' || fail "logits dump shape"
# Longer sequences than training run in step mode and give the same metrics as parallel mode.
xssm-eval a.h5 --data valid.h5 --max-parallel-len 1 > s.json
grep -q '"step_mode_sequences":16' s.json || fail "step mode not used"
a1=$(sed -n 's/.*"accuracy":\([^,]*\).*/\1/p' m1.json); a2=$(sed -n 's/.*"accuracy":\([^,]*\).*/\1/p' s.json)
[ "$a1" = "$a2" ] || fail "step-mode accuracy $a2 differs from parallel $a1"

# SIGTERM: finish the step, write a loadable checkpoint, exit 143.
xssm-gen mqar --n 512 --seq-len 64 --kv-pairs 4 --vocab 64 --seed 4 -o big.h5
set +e
xssm-train "${small[@]}" --data big.h5 --steps 100000 -o sig.h5 2>sig.err &
pid=$!
sleep 3
kill -TERM $pid
wait $pid
rc=$?
set -e
[ "$rc" = 143 ] || { cat sig.err >&2; fail "SIGTERM gave exit $rc, expected 143"; }
xssm-eval sig.h5 --data valid.h5 >/dev/null || fail "checkpoint written on SIGTERM is not loadable"

# kill -9 during checkpoint writes: the previous checkpoint stays intact and loadable.
cp a.h5 keep.h5
set +e
xssm-train "${small[@]}" --data big.h5 --steps 100000 --checkpoint-every 1 -o keep.h5 2>/dev/null &
pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
set -e
xssm-eval keep.h5 --data valid.h5 >/dev/null || fail "checkpoint damaged by kill -9"
ls keep.h5.tmp.* >/dev/null 2>&1 && rm -f keep.h5.tmp.*

# NaN: a huge learning rate stops with exit 1 and a clear message, keeping the last checkpoint.
cp a.h5 nan.h5
expect 1 'loss is (nan|inf)|non-finite gradient' -- xssm-train "${small[@]}" --data train.h5 --steps 200 --lr 1e30 --clip 0 -o nan.h5
h5diff nan.h5 a.h5 /params /params >/dev/null || fail "NaN stop changed the previous checkpoint"

# Bad input: one line, file and dataset named, exit 1 (data) or 2 (usage).
expect 2 'unrecognised option|unrecognized option' -- xssm-train --bogus
expect 2 'data is required' -- xssm-train --model mlstm -o x.h5
expect 1 'missing.h5' -- xssm-train --data missing.h5 -o x.h5
echo "not hdf5" > junk.h5
expect 1 'junk.h5.*not an HDF5 file|junk.h5' -- xssm-train --data junk.h5 -o x.h5
head -c 2000 train.h5 > trunc.h5
expect 1 'trunc.h5' -- xssm-train --data trunc.h5 -o x.h5
xssm-gen mqar --n 8 --seq-len 16 --kv-pairs 2 --vocab 64 --seed 1 -o v64.h5
expect 1 'v64.h5: /(inputs|targets)\[[0-9]+,[0-9]+\] = [0-9]+ is outside the model.s vocabulary of 32' -- xssm-eval a.h5 --data v64.h5
expect 1 "checkpoint is a 'xlstm\[1:1\]' model, but --model mamba" -- xssm-train --model mamba --resume a.h5 --data train.h5 -o x.h5
expect 1 'expected xssm_format checkpoint/1' -- xssm-eval train.h5 --data valid.h5
expect 2 'dump must be logits or states' -- xssm-eval a.h5 --data valid.h5 --dump foo -o x.h5
expect 1 "directory 'nodir' does not exist" -- xssm-train "${small[@]}" --data train.h5 -o nodir/x.h5

# The dispatcher runs the same tools.
xssm train --help | grep -q 'xssm-train' || fail "xssm train --help"
xssm --help | grep -q 'train' || fail "xssm --help does not list train"
echo OK
