#!/usr/bin/env bash
# End-to-end tests of xssm-gen: help, determinism (same command -> same bytes, any thread count),
# the `-o -` pipe, every task, and the exit codes / one-line messages of bad invocations.
source "$(dirname "$0")/lib.sh"
SRC=${XSSM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
KJV="$SRC/data/text/kjv_genesis.txt"

# --help: every task with an example, exit 0
expect 0 "" -- xssm-gen --help
for t in mqar word formal copy freqsort noise text; do
  grep -qE "^  $t " expect.out || fail "--help does not list task $t"
  grep -qE "e\.g\. xssm-gen $t " expect.out || fail "--help has no example for $t"
done
grep -q "Usage: xssm-gen TASK" expect.out || fail "--help has no usage line"

# every task, small
expect 0 "" -- xssm-gen mqar --n 50 --seq-len 32 --kv-pairs 4 -o mqar.h5
expect 0 "" -- xssm-gen mqar --n 50 --random-fillers --vocab 64 -o mqar_rf.h5
expect 0 "" -- xssm-gen word --group A4_x_Z5 --n 20 -o word.h5
for lang in parity even_pairs cycle_navigation mod_arith mod_arith_brackets majority majority_count \
            missing_duplicate bucket_sort reverse_string repeat_copy set; do
  expect 0 "" -- xssm-gen formal --lang $lang --n 10 --min-len 41 --max-len 60 -o formal_$lang.h5
done
expect 0 "" -- xssm-gen copy --n 20 -o copy.h5
expect 0 "" -- xssm-gen freqsort --n 5 --len 100 -o freqsort.h5
expect 0 "" -- xssm-gen noise --n 5 --real --features 2 -o noise.h5
expect 0 "" -- xssm-gen text --input "$KJV" --seq-len 128 -o text.h5

# --config INI: task options from a file, the command line wins
printf 'kv-pairs = 2\nseq-len = 16\nn = 7\n' >mqar.ini
expect 0 "" -- xssm-gen mqar --config mqar.ini --n 5 -o ini.h5
if command -v h5dump >/dev/null; then
  h5dump -d /inputs ini.h5 | grep -qF "( 5, 16 )" || fail "--config: /inputs is not (5, 16)"
  h5dump -a /config ini.h5 | grep -q '"kv-pairs":2' || fail "--config: kv-pairs not taken from the file"
fi
expect 0 "" -- xssm-gen word --group 'A4×Z5' --n 3 -o unicode.h5

# determinism: same command (created_by included), same bytes; the thread count does not matter
# (OMP_NUM_THREADS is not part of the command line, so it is the way to vary threads here)
mkdir -p r1 r2 r3
(cd r1 && xssm-gen mqar --n 300 --seed 7 -o a.h5 2>/dev/null)
(cd r2 && xssm-gen mqar --n 300 --seed 7 -o a.h5 2>/dev/null)
(cd r3 && OMP_NUM_THREADS=1 xssm-gen mqar --n 300 --seed 7 -o a.h5 2>/dev/null)
same_bytes r1/a.h5 r2/a.h5
same_bytes r1/a.h5 r3/a.h5
for t in word formal copy freqsort noise; do
  (cd r1 && xssm-gen $t --n 20 --seed 3 -o t.h5 2>/dev/null)
  (cd r2 && OMP_NUM_THREADS=2 xssm-gen $t --n 20 --seed 3 -o t.h5 2>/dev/null)
  same_bytes r1/t.h5 r2/t.h5
done
(cd r2 && xssm-gen mqar --n 300 --seed 8 -o a.h5 2>/dev/null)
cmp -s r1/a.h5 r2/a.h5 && fail "different seeds gave the same file"
xssm-gen formal --lang mod_arith_brackets --n 100 -o - 2>/dev/null >p1.h5
xssm-gen formal --lang mod_arith_brackets --n 100 -o - 2>/dev/null >p2.h5
same_bytes p1.h5 p2.h5

# the pipe: stdout is a complete HDF5 file, readable by others (h5dump when installed)
xssm-gen word --group Z2 --n 4 --seq-len 8 -o - 2>/dev/null | cat >pipe.h5
head -c 8 pipe.h5 | od -c | grep -q "H   D   F" || fail "-o - did not write an HDF5 file"
if command -v h5dump >/dev/null; then
  h5dump -a /xssm_format pipe.h5 | grep -q '"dataset/1"' || fail "h5dump: no xssm_format dataset/1"
  h5dump -d /targets pipe.h5 | grep -qF "( 4, 8 )" || fail "h5dump: /targets is not (4, 8)"
  h5dump -d /meta/elements pipe.h5 >/dev/null || fail "h5dump: no /meta/elements"
fi
# the stdout image and the file hold the same datasets
xssm-gen word --group Z2 --n 4 --seq-len 8 -o file.h5 2>/dev/null
if command -v h5dump >/dev/null; then
  diff <(h5dump -d /targets pipe.h5 | grep -v HDF5) <(h5dump -d /targets file.h5 | grep -v HDF5) >/dev/null \
    || fail "pipe and file differ in /targets"
fi

# usage errors: exit 2, one line
expect 2 "unrecognised option|unrecognized option" -- xssm-gen mqar --bogus 1 -o x.h5
expect 2 "unknown task 'nosuch'" -- xssm-gen nosuch -o x.h5
expect 2 "missing TASK" -- xssm-gen -o x.h5
expect 2 "--alpha is not an option of task word" -- xssm-gen word --alpha 0.5 -o x.h5
expect 2 "--kv-pairs must be an integer, got 'many'" -- xssm-gen mqar --kv-pairs many -o x.h5
expect 2 "--kv-pairs 20 needs --seq-len" -- xssm-gen mqar --kv-pairs 20 --seq-len 64 -o x.h5
expect 2 "--lang: unknown language 'klingon'" -- xssm-gen formal --lang klingon -o x.h5
expect 2 "--group 'Q8'" -- xssm-gen word --group Q8 -o x.h5
expect 2 "-o is required" -- xssm-gen mqar
[ ! -e x.h5 ] || fail "a failed run left x.h5 behind"

# data errors: exit 1, naming the file
expect 1 "/no/such/file.txt: cannot read" -- xssm-gen text --input /no/such/file.txt -o x.h5
mkdir -p adir
expect 1 "adir: read error" -- xssm-gen text --input adir -o x.h5
printf 'tiny' >tiny.txt
expect 1 "tiny.txt: has 4 bytes, expected at least" -- xssm-gen text --input tiny.txt -o x.h5
expect 1 "the directory 'nodir' does not exist" -- xssm-gen mqar --n 5 -o nodir/x.h5

# a real corpus: the Debian bible-kjv package's text, when installed
if command -v bible >/dev/null; then
  bible -f 'Ps23:1-6' >ps23.txt 2>/dev/null || true
  if [ -s ps23.txt ]; then
    expect 0 "" -- xssm-gen text --input ps23.txt --seq-len 64 -o ps23.h5
  fi
fi
echo "gen.sh: all passed"
