"""xssm vs PyTorch eager (float32, same thread count): check both give the same outputs and
gradients on the same weights, then time a training step (forward + cross-entropy + backward +
AdamW) in both and print the speed ratio per model and size as a markdown table.
Run through scripts/bench/vs_pytorch (which finds the build and checks that torch is installed)."""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

ALL = "mlstm,slstm,xlstm[1:1],lstm,mamba,mamba2,s4d,transformer"


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))


def xssm_run(args, bench, models, B, S, D, threads, dump, ops):
    cmd = [bench, "--models", models, "--batch", str(B), "--len", str(S), "--d-model", str(D),
           "--heads", str(args.heads), "--vocab", str(args.vocab), "--threads", str(threads), "--scopes", "model",
           "--ops", ops, "--no-peak", "--repeats", str(args.repeats), "--warmup", "1", "-o", "json",
           "--dump-weights", dump, "--seed", "1"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    return json.loads(r.stdout) if ops != "none" else None


def torch_params(m):
    return {k: v.clone().requires_grad_(True) for k, v in m["params"].items()}


def check(args, bench, tmp):
    """Same weights, same batch: logits, loss and every gradient."""
    dump = os.path.join(tmp, "check.h5")
    xssm_run(args, bench, args.models, args.check_batch, args.check_len, args.check_d_model, 1, dump, "none")
    out = {}
    with h5py.File(dump, "r") as f:
        groups = sorted(f.keys(), key=int)
        for g in groups:
            m = tm.load_group(f, g)
            p = torch_params(m)
            logits = tm.lm_forward(p, m["ids"], m["cfg"])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), m["targets"].reshape(-1).long())
            loss.backward()
            e_fwd = rel(logits.detach(), m["logits"])
            e_grad, worst = 0.0, ""
            for k, v in p.items():
                e = rel(v.grad, m["grads"][k]) if v.grad is not None else float("inf")
                if not e <= e_grad:
                    e_grad, worst = e, k
            out[m["spec"]] = (e_fwd, e_grad, worst, abs(loss.item() - m["loss"]))
    return out


def time_torch(m, threads, repeats, lr=1e-4):
    torch.set_num_threads(threads)
    p = torch_params(m)
    opt = torch.optim.AdamW(list(p.values()), lr=lr, weight_decay=0.1)
    ids, tg = m["ids"], m["targets"].reshape(-1).long()

    def step():
        opt.zero_grad(set_to_none=False)
        logits = tm.lm_forward(p, ids, m["cfg"])
        F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tg).backward()
        opt.step()

    step()  # warm-up
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bench", required=True, help="path of xssm-bench")
    ap.add_argument("--models", default=ALL)
    ap.add_argument("--sizes", default="8x64x64,8x128x128", help="BxSxD list (batch x length x d_model)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=1,
                    help="time each cell R times, xssm and torch alternately, and report medians (and the ratio's "
                         "min-max): on a VM whose speed drifts, one round can move a ratio by 25 %%")
    ap.add_argument("--check-batch", type=int, default=2)
    ap.add_argument("--check-len", type=int, default=37)
    ap.add_argument("--check-d-model", type=int, default=64)
    ap.add_argument("--tol", type=float, default=1e-4, help="max relative error of the logits")
    ap.add_argument("--skip-check", action="store_true")
    ap.add_argument("--skip-timing", action="store_true")
    args = ap.parse_args()
    print(f"# xssm vs PyTorch {torch.__version__} eager, float32 — {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs\n")
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_check:
            res = check(args, args.bench, tmp)
            print(f"## Same weights, same batch (B={args.check_batch}, S={args.check_len}, D={args.check_d_model})\n")
            print("| model | logits rel err | worst grad rel err (param) | |loss diff| | ok |")
            print("| --- | ---: | --- | ---: | --- |")
            for spec, (ef, eg, worst, dl) in res.items():
                ok = ef <= args.tol
                status |= 0 if ok else 1
                print(f"| {spec} | {ef:.2e} | {eg:.2e} ({worst}) | {dl:.2e} | {'yes' if ok else 'NO'} |")
            print()
        if args.skip_timing:
            return status
        print("## Training step (forward + cross-entropy + backward + AdamW), median tokens/s\n")
        multi = args.rounds > 1
        print("| model | B | S | D | threads | xssm tok/s | torch tok/s | xssm / torch |" + (" ratio min–max |" if multi else ""))
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if multi else ""))
        sys.stdout.flush()
        for size in args.sizes.split(","):
            B, S, D = (int(v) for v in size.lower().split("x"))
            for spec in args.models.split(","):
                for th in (int(t) for t in args.threads.split(",")):
                    dump = os.path.join(tmp, "w.h5")
                    try:
                        xs, ts, rs, m = [], [], [], None
                        for _ in range(max(1, args.rounds)):   # alternate, so drift hits both sides alike
                            js = xssm_run(args, args.bench, spec, B, S, D, th, dump, "train")
                            rows = [r for r in js["rows"] if r["op"] == "train"]
                            if not rows or rows[0]["tokens_per_s"] is None:
                                raise RuntimeError(rows[0]["status"] if rows else "no train row")
                            xs.append(float(rows[0]["tokens_per_s"]))
                            if m is None:   # same seed every round: the weights are loaded once
                                with h5py.File(dump, "r") as f:
                                    m = tm.load_group(f, "0")
                            ts.append(B * S / time_torch(m, th, args.repeats))
                            rs.append(xs[-1] / ts[-1])
                        x_tps, t_tps, ratio = (statistics.median(v) for v in (xs, ts, rs))
                        extra = f" {min(rs):.2f}–{max(rs):.2f} |" if multi else ""
                        print(f"| {spec} | {B} | {S} | {D} | {th} | {x_tps:.4g} | {t_tps:.4g} | {ratio:.2f} |{extra}")
                    except Exception as e:  # one failing size does not hide the others
                        status = 1
                        print(f"| {spec} | {B} | {S} | {D} | {th} | error: {str(e)[:120]} | | |")
                    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
