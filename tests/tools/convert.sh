#!/usr/bin/env bash
# xssm-convert from the command line: exit codes and one-line errors (the numeric checks are in
# tests/tools/convert_test.cpp).
source "$(dirname "$0")/lib.sh"
FX=${XSSM_FIXTURES:-/work/shared/fixtures}
ST=$FX/xlstm/xlstm_lm_mlstm_only.safetensors
[ -f "$ST" ] || { echo "no fixtures at $FX: skipped"; exit 0; }

expect 0 "" -- xssm-convert import --from xlstm "$ST" -o run.h5
expect 0 "" -- xssm-convert export --to xlstm run.h5 -o back.safetensors
expect 1 "cannot be exported as mamba" -- xssm-convert export --to mamba run.h5 -o x.safetensors
head -c 1000 "$ST" > trunc.safetensors
expect 1 "trunc.safetensors" -- xssm-convert import --from xlstm trunc.safetensors -o x.h5
[ ! -e x.h5 ] || fail "a failed import left x.h5"
expect 2 "--from" -- xssm-convert import "$ST" -o x.h5
expect 2 "unknown subcommand" -- xssm-convert frobnicate
expect 2 "wanda needs --calib" -- xssm-convert prune --method wanda run.h5 -o p.h5
expect 0 "" -- xssm-convert prune --method magnitude --sparsity 0.5 run.h5 -o p.h5
expect 0 "" -- xssm-convert quantize --ternary run.h5 -o q.h5
printf 'In the beginning God created the heaven and the earth. %.0s' $(seq 40) > corpus.txt
expect 0 "" -- xssm-convert text corpus.txt --len 32 -o text.h5
[ -f text.valid.h5 ] || fail "text did not write text.valid.h5"
echo "convert.sh: ok"
