#!/usr/bin/env bash
# xssm-plot-data end to end: PNG/SVG/TSV from xssm files, --list, pipes, several files, errors.
source "$(dirname "$0")/lib.sh"

xssm-gen noise --n 6 --seq-len 12 --vocab 5 --seed 1 -o a.h5
xssm-gen noise --n 6 --seq-len 12 --vocab 5 --seed 2 -o b.h5

# --list shows the datasets with shapes.
xssm-plot-data --list a.h5 >list.txt
grep -q "/inputs" list.txt || fail "--list does not show /inputs"
grep -q "(6,12)" list.txt || fail "--list does not show the shape"

# TSV, PNG and SVG of a 2-D dataset from two files.
xssm-plot-data a.h5 b.h5 --y /inputs -o out.tsv
[ -s out.tsv ] || fail "empty TSV"
[ "$(grep -c '^# ' out.tsv)" = 48 ] || fail "expected 2 files x 12 columns = 24 series (2 header lines each)"
xssm-plot-data a.h5 b.h5 --y /inputs --title "noise" -o out.png
[ -s out.png ] || fail "empty PNG"
head -c 8 out.png | od -An -c | grep -q "P   N   G" || fail "out.png is not a PNG"
xssm-plot-data a.h5 --y /targets -o out.svg
[ -s out.svg ] || fail "empty SVG"
grep -q "<svg" out.svg || fail "out.svg is not an SVG"
ls ./*.tmp.* 2>/dev/null && fail "temporary files left behind"

# Pipes: a file from stdin, TSV to stdout, same numbers as through files.
xssm-gen noise --n 6 --seq-len 12 --vocab 5 --seed 1 -o - | xssm-plot-data - --y /inputs -o - >pipe.tsv
xssm-plot-data a.h5 --y /inputs -o file.tsv
diff <(grep -v '^#' pipe.tsv) <(grep -v '^#' file.tsv) >/dev/null || fail "pipe and file TSV differ"

# Errors: a missing dataset names file and dataset (exit 1); bad usage exits 2.
expect 1 "a.h5: /nope: no such dataset" -- xssm-plot-data a.h5 --y /nope -o x.png
expect 1 "missing.h5" -- xssm-plot-data missing.h5 --y /inputs -o x.png
expect 1 "--x|/inputs" -- xssm-plot-data a.h5 --y /inputs --x /targets -o x.tsv
expect 2 "--y DATASET is required" -- xssm-plot-data a.h5 -o x.png
expect 2 "extension" -- xssm-plot-data a.h5 --y /inputs -o x.jpg
expect 2 "unrecognised option|unknown option" -- xssm-plot-data a.h5 --y /inputs --bogus -o x.png
[ ! -e x.png ] || fail "a failed run left x.png"
echo "plot_data.sh: ok"
