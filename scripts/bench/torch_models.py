"""PyTorch eager float32 versions of xssm's language models, written from the same equations
(docs/maths/*.md, the official reference code each xssm module names) for scripts/bench/vs_pytorch.

Every model is a function of a parameter dict keyed by xssm's checkpoint names
("blocks/0/xlstm/proj_up/weight", ...), so weights written by `xssm-bench --dump-weights` load by
name with no conversion. Plain eager ops only (no torch.compile, no fused kernels beyond what
PyTorch's own ops are: torch's LSTM is its native LSTM op), as a researcher would write them:
  mLSTM  parallel_stabilized_simple (the official default backend, O(S²) per head)
  sLSTM  the official "vanilla" step loop (slstm_forward_pointwise)
  Mamba  selective_scan_ref (a Python loop over time)
  Mamba-2 ssd_minimal_discrete (chunked, segsum)
  S4D    FFT convolution with the Vandermonde kernel (the official S4D)
  LSTM   torch's native LSTM op
  Transformer  Llama: RMSNorm, RoPE (rotate-half), causal softmax attention, SwiGLU
"""
import json
import math
import re

import torch
import torch.nn.functional as F

EPS = 1e-5


# ---------------------------------------------------------------- shared pieces

def layer_norm_offset(x, w):
    """xLSTM LayerNorm: (x − μ)/σ · (1 + w), no bias."""
    return F.layer_norm(x, (x.shape[-1],), weight=1.0 + w, bias=None, eps=EPS)


def rms_norm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w


def multihead_layer_norm(x, w, nh):
    """x (..., NH·DH) normalised per head, scale (1 + w)."""
    shp = x.shape
    xh = x.reshape(*shp[:-1], nh, shp[-1] // nh)
    xh = F.layer_norm(xh, (xh.shape[-1],), eps=EPS)
    return xh.reshape(shp) * (1.0 + w)


def linear(p, name, x):
    b = p.get(name + "/bias")
    return F.linear(x, p[name + "/weight"], b)


def causal_conv(x, w, b):
    """Depthwise causal conv: x (B,S,F), w (F,1,K): W[c,0,K−1] multiplies x_t."""
    K = w.shape[-1]
    y = F.conv1d(F.pad(x.transpose(1, 2), (K - 1, 0)), w, b, groups=x.shape[-1])
    return y.transpose(1, 2)


def headwise(x, w):
    """LinearHeadwiseExpand: w (NH, O, I), x (..., NH·I) → (..., NH·O)."""
    nh, o, i = w.shape
    xh = x.reshape(*x.shape[:-1], nh, i)
    return torch.einsum("...hi,hoi->...ho", xh, w).reshape(*x.shape[:-1], nh * o)


# ---------------------------------------------------------------- mixers

def mlstm_parallel(q, k, v, ig, fg, eps=1e-6):
    """parallel_stabilized_simple: q, k, v (B,NH,S,DH), ig, fg (B,NH,S)."""
    B, NH, S, DH = q.shape
    logf = F.logsigmoid(fg)  # (B,NH,S)
    cs = torch.cumsum(logf, dim=-1)
    # log D[t,s] = Σ_{r=s+1..t} logσ(f̃_r) + ĩ_s for s ≤ t
    logD = cs.unsqueeze(-1) - cs.unsqueeze(-2) + ig.unsqueeze(-2)
    mask = torch.ones(S, S, dtype=torch.bool, device=q.device).tril()
    logD = logD.masked_fill(~mask, float("-inf"))
    m = logD.max(dim=-1, keepdim=True).values
    D = torch.exp(logD - m)
    C = (q @ k.transpose(-1, -2)) / math.sqrt(DH) * D
    n = torch.maximum(C.sum(-1, keepdim=True).abs(), torch.exp(-m))
    return (C / (n + eps)) @ v


def mlstm_layer(p, pre, x, cfg):
    D = x.shape[-1]
    B, S, _ = x.shape
    NH = cfg["num_heads"]
    up = linear(p, pre + "proj_up", x)
    P = up.shape[-1] // 2
    xm, z = up[..., :P], up[..., P:]
    a = F.silu(causal_conv(xm, p[pre + "conv1d/conv/weight"], p.get(pre + "conv1d/conv/bias")))
    q = headwise(a, p[pre + "q_proj/weight"])
    k = headwise(a, p[pre + "k_proj/weight"])
    v = headwise(xm, p[pre + "v_proj/weight"])
    for nm, t in (("q_proj", q), ("k_proj", k), ("v_proj", v)):
        if pre + nm + "/bias" in p:
            t += p[pre + nm + "/bias"]
    g = torch.cat([q, k, v], -1)
    ig = linear(p, pre + "mlstm_cell/igate", g).transpose(1, 2)  # (B,NH,S)
    fg = linear(p, pre + "mlstm_cell/fgate", g).transpose(1, 2)
    heads = lambda t: t.reshape(B, S, NH, P // NH).transpose(1, 2)
    h = mlstm_parallel(heads(q), heads(k), heads(v), ig, fg)  # (B,NH,S,DH)
    h = h.transpose(1, 2).reshape(B, S, P)
    hs = multihead_layer_norm(h, p[pre + "mlstm_cell/outnorm/weight"], NH)
    hs = (hs + p[pre + "learnable_skip"] * a) * F.silu(z)
    return linear(p, pre + "proj_down", hs)


def slstm_layer(p, pre, x, cfg):
    B, S, D = x.shape
    NH = cfg["slstm_num_heads"] or cfg["num_heads"]
    DH = D // NH
    if pre + "conv1d/conv/weight" in p:
        xc = F.silu(causal_conv(x, p[pre + "conv1d/conv/weight"], p.get(pre + "conv1d/conv/bias")))
    else:
        xc = x
    # The official names are swapped: fgate feeds the input gate, igate the forget gate.
    Wx = torch.cat([headwise(xc, p[pre + "fgate/weight"]), headwise(xc, p[pre + "igate/weight"]),
                    headwise(x, p[pre + "zgate/weight"]), headwise(x, p[pre + "ogate/weight"])], -1)  # (B,S,4D)
    R = p[pre + "slstm_cell/_recurrent_kernel_"]  # (NH, 4DH, DH): R[h, g·DH+a, k]
    b = p[pre + "slstm_cell/_bias_"]  # (4D) [g][h][d]
    y = x.new_zeros(B, D)
    c = x.new_zeros(B, D)
    n = x.new_zeros(B, D)
    m = x.new_zeros(B, D)
    ys = []
    for t in range(S):
        # Ry[g, h·DH + a] = Σ_k R[h, g·DH+a, k] y[h·DH+k]
        Ry = torch.einsum("hok,bhk->bho", R, y.reshape(B, NH, DH)).reshape(B, NH, 4, DH)
        Ry = Ry.permute(0, 2, 1, 3).reshape(B, 4 * D)
        raw = Wx[:, t] + Ry + b
        ir, fr, zr, orw = raw.split(D, -1)
        logfplusm = m + F.logsigmoid(fr)
        mnew = ir if bool(torch.all(n == 0.0)) else torch.maximum(ir, logfplusm)
        og = torch.sigmoid(orw)
        i = torch.minimum(torch.exp(ir - mnew), torch.ones_like(ir))
        f = torch.minimum(torch.exp(logfplusm - mnew), torch.ones_like(ir))
        c = f * c + i * torch.tanh(zr)
        n = f * n + i
        y = og * c / n
        m = mnew
        ys.append(y)
    h = torch.stack(ys, 1)
    return multihead_layer_norm(h, p[pre + "group_norm/weight"], NH)


def lstm_mixer(p, pre, x, cfg):
    B, S, D = x.shape
    w = [p[pre + n + "_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    h0 = x.new_zeros(1, B, D)
    out, _, _ = torch._VF.lstm(x, (h0, h0), w, True, 1, 0.0, True, False, True)
    return out


def mamba_mixer(p, pre, x, cfg):
    B, L, Dm = x.shape
    xz = linear(p, pre + "in_proj", x)
    E = xz.shape[-1] // 2
    xt, z = xz[..., :E], xz[..., E:]
    u = F.silu(causal_conv(xt, p[pre + "conv1d/weight"], p.get(pre + "conv1d/bias")))
    A = -torch.exp(p[pre + "A_log"])  # (E,N)
    N = A.shape[1]
    dbc = F.linear(u, p[pre + "x_proj/weight"])
    R = dbc.shape[-1] - 2 * N
    delta = F.softplus(linear(p, pre + "dt_proj", dbc[..., :R]))  # (B,L,E)
    Bm, Cm = dbc[..., R:R + N], dbc[..., R + N:]
    # selective_scan_ref: a loop over time
    dA = torch.exp(delta.unsqueeze(-1) * A)  # (B,L,E,N)
    dBu = delta.unsqueeze(-1) * Bm.unsqueeze(2) * u.unsqueeze(-1)
    h = x.new_zeros(B, E, N)
    ys = []
    for t in range(L):
        h = dA[:, t] * h + dBu[:, t]
        ys.append(torch.einsum("ben,bn->be", h, Cm[:, t]))
    y = torch.stack(ys, 1) + u * p[pre + "D"]
    return linear(p, pre + "out_proj", y * F.silu(z))


def segsum(x):
    T = x.size(-1)
    x = x.unsqueeze(-1).expand(*x.shape, T)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=-1)
    x = x.masked_fill(~mask, 0)
    xs = torch.cumsum(x, dim=-2)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=0)
    return xs.masked_fill(~mask, -torch.inf)


def ssd_minimal(X, A, Bm, Cm, Q):
    """ssd_minimal_discrete: X (b,l,h,p), A (b,l,h), B, C (b,l,h,n); l a multiple of Q."""
    b, l, h, pdim = X.shape
    c = l // Q
    X, A, Bm, Cm = [t.reshape(b, c, Q, *t.shape[2:]) for t in (X, A, Bm, Cm)]
    A = A.permute(0, 3, 1, 2)  # b h c l
    A_cs = torch.cumsum(A, dim=-1)
    Lm = torch.exp(segsum(A))
    Y_diag = torch.einsum("bclhn,bcshn,bhcls,bcshp->bclhp", Cm, Bm, Lm, X)
    decay_states = torch.exp(A_cs[:, :, :, -1:] - A_cs)
    states = torch.einsum("bclhn,bhcl,bclhp->bchpn", Bm, decay_states, X)
    states = torch.cat([torch.zeros_like(states[:, :1]), states], dim=1)
    decay_chunk = torch.exp(segsum(F.pad(A_cs[:, :, :, -1], (1, 0))))
    new_states = torch.einsum("bhzc,bchpn->bzhpn", decay_chunk, states)
    states = new_states[:, :-1]
    Y_off = torch.einsum("bclhn,bchpn,bhcl->bclhp", Cm, states, torch.exp(A_cs))
    return (Y_diag + Y_off).reshape(b, l, h, pdim)


def mamba2_mixer(p, pre, x, cfg):
    B, L, Dm = x.shape
    E = cfg["expand"] * Dm
    P = cfg["headdim"]
    H = E // P
    G = cfg["ngroups"]
    N = cfg["d_state"]
    zxd = linear(p, pre + "in_proj", x)
    z, xbc, dt = zxd[..., :E], zxd[..., E:2 * E + 2 * G * N], zxd[..., 2 * E + 2 * G * N:]
    xbc = F.silu(causal_conv(xbc, p[pre + "conv1d/weight"], p.get(pre + "conv1d/bias")))
    xs, Bm, Cm = xbc[..., :E], xbc[..., E:E + G * N], xbc[..., E + G * N:]
    delta = F.softplus(dt + p[pre + "dt_bias"])  # (B,L,H)
    a = -torch.exp(p[pre + "A_log"])
    xh = xs.reshape(B, L, H, P)
    rep = lambda t: t.reshape(B, L, G, N).repeat_interleave(H // G, dim=2)
    Q = cfg["chunk_size"]
    pad = (-L) % Q
    X, A, Bh, Ch = xh * delta.unsqueeze(-1), a * delta, rep(Bm), rep(Cm)
    if pad:  # zero steps at the end change nothing before them
        X, Bh, Ch = [F.pad(t, (0, 0, 0, 0, 0, pad)) for t in (X, Bh, Ch)]
        A = F.pad(A, (0, 0, 0, pad))
    Y = ssd_minimal(X, A, Bh, Ch, Q)[:, :L]
    Dp = p[pre + "D"]
    Y = Y + xh * (Dp.reshape(H, P) if Dp.numel() == E else Dp.reshape(H, 1))
    v = Y.reshape(B, L, E) * F.silu(z)
    if pre + "norm/weight" in p:
        vg = v.reshape(B, L, G, E // G)
        vg = vg * torch.rsqrt(vg.pow(2).mean(-1, keepdim=True) + EPS)
        v = vg.reshape(B, L, E) * p[pre + "norm/weight"]
    return linear(p, pre + "out_proj", v)


def s4d_mixer(p, pre, u, cfg):
    B, L, H = u.shape
    dt = torch.exp(p[pre + "kernel/log_dt"])  # (H)
    Cp = p[pre + "kernel/C"]
    C = torch.complex(Cp[..., 0], Cp[..., 1])
    A = torch.complex(-torch.exp(p[pre + "kernel/log_A_real"]), p[pre + "kernel/A_imag"])
    dtA = A * dt.unsqueeze(-1)
    Kx = dtA.unsqueeze(-1) * torch.arange(L, device=u.device)
    C = C * (torch.exp(dtA) - 1.0) / A
    K = 2 * torch.einsum("hn,hnl->hl", C, torch.exp(Kx)).real  # (H,L)
    uf = torch.fft.rfft(u.transpose(1, 2), n=2 * L)
    kf = torch.fft.rfft(K, n=2 * L)
    v = torch.fft.irfft(uf * kf, n=2 * L)[..., :L].transpose(1, 2) + u * p[pre + "D"]
    g = F.gelu(v)
    o = F.linear(g, p[pre + "output_linear/0/weight"][:, :, 0], p[pre + "output_linear/0/bias"])
    return o[..., :H] * torch.sigmoid(o[..., H:])


def rope(x, base=10000.0):
    """Rotate-half RoPE on x (B,NH,S,DH); angles in double as xssm computes them."""
    S, DH = x.shape[-2], x.shape[-1]
    inv = base ** (-torch.arange(0, DH // 2, dtype=torch.float64) * 2.0 / DH)
    ang = torch.arange(S, dtype=torch.float64).unsqueeze(-1) * inv
    cos, sin = torch.cos(ang).to(x.dtype), torch.sin(ang).to(x.dtype)
    x1, x2 = x[..., :DH // 2], x[..., DH // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


def attention_mixer(p, pre, x, cfg):
    B, S, D = x.shape
    NH = cfg["num_heads"]
    heads = lambda t: t.reshape(B, S, NH, D // NH).transpose(1, 2)
    q, k, v = (heads(F.linear(x, p[pre + n + "_proj/weight"])) for n in ("q", "k", "v"))
    if cfg.get("rope", True):
        q, k = rope(q), rope(k)
    a = (q @ k.transpose(-1, -2)) / math.sqrt(D // NH)
    mask = torch.ones(S, S, dtype=torch.bool).tril()
    a = a.masked_fill(~mask, float("-inf"))
    o = torch.softmax(a, -1) @ v
    return F.linear(o.transpose(1, 2).reshape(B, S, D), p[pre + "o_proj/weight"])


# ---------------------------------------------------------------- blocks and the model

# kind → (norm, mixer name, mixer function, ffn)
LAYOUT = {
    "mlstm": ("ln", "xlstm", mlstm_layer, None),
    "slstm": ("ln", "xlstm", slstm_layer, "gated"),
    "lstm": ("ln", "mixer", lstm_mixer, None),
    "s4d": ("rms", "mixer", s4d_mixer, None),
    "mamba": ("rms", "mixer", mamba_mixer, None),
    "mamba2": ("rms", "mixer", mamba2_mixer, None),
    "transformer": ("rms", "attention", attention_mixer, "swiglu"),
}
NORM_NAME = {"xlstm": ("xlstm_norm", "ffn_norm", "ffn"), "mixer": ("norm", None, None),
             "attention": ("attention_norm", "ffn_norm", "feed_forward")}


def block_kinds(cfg):
    """The kind of every block, as xssm's ModelConfig::block_kinds (ratio rule for xlstm[a:b])."""
    spec = cfg["spec"].lower()
    n = cfg["num_blocks"]
    mt = re.fullmatch(r"xlstm\[(\d+):(\d+)\]", spec)
    if not mt:
        if spec in ("mlstm", "slstm") and cfg.get("slstm_at"):
            mt = None
            a, b = (1, 0) if spec == "mlstm" else (0, 1)
        else:
            return [spec] * n
    else:
        a, b = int(mt.group(1)), int(mt.group(2))
    at = cfg.get("slstm_at") or []
    kinds = []
    for i in range(n):
        s = (i in at) if at else ((i + 1) * b // (a + b) > i * b // (a + b))
        kinds.append("slstm" if s else "mlstm")
    return kinds


def norm(kind, x, w):
    return layer_norm_offset(x, w) if kind == "ln" else rms_norm(x, w)


def block_forward(p, i, kind, x, cfg):
    nk, mname, fn, ffn = LAYOUT[kind]
    norm_name, ffn_norm, ffn_name = NORM_NAME[mname]
    if kind == "lstm":
        norm_name = "norm"
    pre = f"blocks/{i}/"
    x1 = x + fn(p, pre + mname + "/", norm(nk, x, p[pre + norm_name + "/weight"]), cfg)
    if ffn is None:
        return x1
    u = norm(nk, x1, p[pre + ffn_norm + "/weight"])
    if ffn == "gated":
        up = linear(p, pre + ffn_name + "/proj_up", u)
        P = up.shape[-1] // 2
        y = linear(p, pre + ffn_name + "/proj_down", F.gelu(up[..., :P]) * up[..., P:])
    else:
        f = pre + ffn_name + "/"
        y = F.linear(F.silu(F.linear(u, p[f + "w1/weight"])) * F.linear(u, p[f + "w3/weight"]), p[f + "w2/weight"])
    return x1 + y


def lm_forward(p, ids, cfg):
    x = F.embedding(ids.long(), p["token_embedding/weight"])
    kinds = block_kinds(cfg)
    for i, k in enumerate(kinds):
        x = block_forward(p, i, k, x, cfg)
    final = "ln" if any(k in ("mlstm", "slstm", "lstm") for k in kinds) else "rms"
    h = norm(final, x, p["post_blocks_norm/weight"])
    W = p["lm_head/weight"] if "lm_head/weight" in p else p["token_embedding/weight"]
    return F.linear(h, W)


def load_group(f, g):
    """A /<i> group of xssm-bench --dump-weights: (spec, cfg, params, ids, targets, logits, loss, grads)."""
    grp = f[g]
    spec = grp.attrs["spec"]
    spec = spec.decode() if isinstance(spec, bytes) else str(spec)
    cfg = grp.attrs["config"]
    cfg = json.loads(cfg.decode() if isinstance(cfg, bytes) else str(cfg))
    params, grads = {}, {}
    grp["params"].visititems(lambda n, d: params.__setitem__(n, torch.tensor(d[()])) if hasattr(d, "shape") else None)
    grp["grads"].visititems(lambda n, d: grads.__setitem__(n, torch.tensor(d[()])) if hasattr(d, "shape") else None)
    out = dict(spec=spec, cfg=cfg, params=params, grads=grads, ids=torch.tensor(grp["ids"][()]),
               targets=torch.tensor(grp["targets"][()]), logits=torch.tensor(grp["logits"][()]),
               loss=float(grp["loss"][()][0]))
    return out
