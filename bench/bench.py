#!/usr/bin/env python3
"""Tessera vs onnxruntime on the CPU: latency, accuracy, GFLOP/s and % of peak.

  .venv/bin/python bench/bench.py [--quick] [--models M,M] [--batch 1,8]
        [--seq 128,384] [--gemm-m 128,1024] [--threads 1,2] [--iters N]
        [--warmup W] [--shapes static,dynamic] [--tag TAG] [--no-chart]
        [--exploratory] [--allow-dirty]

(or `bash bench/run.sh ...`). See bench/README.md for what is measured and
how to read the numbers. In short, for every config (model, batch, seq,
threads):

* the harness refuses a tree that differs from its commit (--allow-dirty
  runs anyway and marks the results DIRTY);
* the ONNX file is built once (bench/models.py, fixed seeds) into
  bench/.cache/onnx/ and compiled once by tessera-compile for the config's
  fixed input shapes (static rows) or with its symbolic dims (dyn rows) into
  bench/.cache/tessera/ (keyed by the compiler binary's hash, so a rebuilt
  compiler recompiles);
* one child process loads both: onnxruntime (CPU EP, ORT_ENABLE_ALL,
  intra_op_num_threads=T, inter_op_num_threads=1, sequential execution; on
  static rows the symbolic dims fixed with add_free_dimension_override_by_name)
  and the Tessera runtime through ctypes (tsr_session_run, num_threads=T), on
  the same numpy inputs;
* one accuracy run of each (outputs compared: max abs error), then both bind
  their inputs once and their outputs to pre-allocated arrays (onnxruntime's
  IOBinding; Tessera's caller-provided output views), so every later run does
  the same work: >= 3 warm-up runs, then >= 20 timed runs interleaved A/B
  (the order alternates every iteration), each timed with time.perf_counter
  around one run call; the outputs of the last timed runs are compared again;
* median, p10/p90 and p90/median per engine (a row over 1.3 is flagged
  noisy), the ratio of medians, the analytic matmul FLOPs (causal attention:
  the unmasked half) -> GFLOP/s and % of the fp32 FMA peak measured by
  bench/peak/fma_peak.c with T copies.

A model Tessera cannot compile is reported as "unsupported: <first line of
the compiler's error>" and onnxruntime is still timed; a Tessera run that
fails or crashes is reported too, and the harness goes on.

Results: bench/results/<date>-<machine>[-quick][-TAG].{json,md,png}.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

ERR_FLAG = 1e-3  # max abs error above this is flagged

# Fewer runs than these make a table an exploration, not a benchmark: the
# accuracy run, then MIN_WARMUP warm-up runs, then MIN_ITERS timed runs per
# engine, so that a median and a p90 mean something.
MIN_ITERS = 20
MIN_WARMUP = 3
# A row whose p90 exceeds its median by more than this is flagged as noisy.
NOISY_P90_OVER_MEDIAN = 1.3

QUICK = dict(models=["minilm", "gemm"], batch=[1], seq=[128], gemm_m=[128], threads=[1, 2],
             iters=30, warmup=MIN_WARMUP)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def csv_ints(s):
    return [int(x) for x in s.split(",") if x]


def parse_args(argv):
    import models as bm
    names = list(bm.MODELS) + ["gemm"]
    p = argparse.ArgumentParser(
        description="Benchmark Tessera-compiled models against onnxruntime (see bench/README.md).")
    p.add_argument("--quick", action="store_true",
                   help="MiniLM-L6 at batch 1 seq 128 and the M=128 GEMM, threads 1 and 2, "
                        "30 iterations")
    p.add_argument("--models", type=lambda s: s.split(","),
                   help=f"comma list of {','.join(names)} (default: all)")
    p.add_argument("--batch", type=csv_ints, help="batch sizes (default 1,8)")
    p.add_argument("--seq", type=csv_ints,
                   help="sequence lengths of the text models (default: each model's own: "
                        "bert-base 128,384; minilm 128; gpt2 128)")
    p.add_argument("--gemm-m", type=csv_ints, help="GEMM row counts M (default 128,1024)")
    p.add_argument("--threads", type=csv_ints, help="thread counts (default 1,2)")
    p.add_argument("--iters", type=int,
                   help=f"timed runs per engine (default and minimum {MIN_ITERS}; --quick: 30)")
    p.add_argument("--warmup", type=int,
                   help=f"warm-up runs per engine after the accuracy run (default and minimum "
                        f"{MIN_WARMUP})")
    p.add_argument("--shapes", type=lambda s: s.split(","), default=["static"],
                   help="static (both engines see the config's fixed shapes: Tessera compiles "
                        "with --input-shape, onnxruntime overrides the symbolic dims), dynamic "
                        "(both keep the model's symbolic dims), or static,dynamic (default static)")
    p.add_argument("--quantize", choices=["int8", "int8-static", "ort-dynamic", "bf16"],
                   help="int8: Tessera compiles the f32 model with --quantize=int8 and "
                        "onnxruntime runs its own quantize_dynamic model; int8-static: the "
                        "same with --quantize=int8-static --calibrate (8 input sets drawn "
                        "with other seeds than the timed input); ort-dynamic: both "
                        "run onnxruntime's quantize_dynamic model (Tessera compiles it with "
                        "no flag); either way both are compared with onnxruntime's f32 "
                        "outputs (cosine per token); bf16: Tessera compiles with "
                        "--quantize=bf16, onnxruntime runs the f32 model, and Tessera's own "
                        "f32 build is timed too, interleaved (the bf16/f32 column)")
    p.add_argument("--prune", metavar="SPEC",
                   help="2:4, block16:RATIO or unstructured:RATIO: both engines run the model "
                        "with its linear weights pruned by tools/prune_onnx.py (the rules of "
                        "tessera-compile --prune); Tessera compiles it with --sparsity=auto "
                        "(the default) and, timed in the same interleaved loop, with "
                        "--sparsity=off (the sparse/dense column)")
    p.add_argument("--settle-ms", type=float, default=50.0,
                   help="pause before each timed run so the other engine's spinning "
                        "threads go idle: onnxruntime spins ~30 ms after a run (default 50 ms)")
    p.add_argument("--exploratory", action="store_true",
                   help=f"allow fewer than {MIN_ITERS} timed or {MIN_WARMUP} warm-up runs; the "
                        "results are marked as exploratory, not a benchmark")
    p.add_argument("--allow-dirty", action="store_true",
                   help="run from a tree with uncommitted changes; the results are marked "
                        "as such (by default the harness refuses)")
    p.add_argument("--compile-timeout", type=float, default=3600.0)
    p.add_argument("--tag", help="appended to the results' file stem")
    p.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    p.add_argument("--cache-dir", default=os.path.join(HERE, ".cache"))
    p.add_argument("--no-chart", action="store_true")
    p.add_argument("--no-tessera", action="store_true", help="time onnxruntime only")
    p.add_argument("--worker", nargs=2, metavar=("SPEC", "RESULT"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        return a
    q = QUICK if a.quick else {}
    a.models = a.models or q.get("models") or names
    for m in a.models:
        if m not in names:
            p.error(f"unknown model '{m}' (known: {','.join(names)})")
    a.batch = a.batch or q.get("batch") or [1, 8]
    a.gemm_m = a.gemm_m or q.get("gemm_m") or [128, 1024]
    a.threads = a.threads or q.get("threads") or [1, 2]
    a.iters = a.iters if a.iters is not None else q.get("iters", MIN_ITERS)
    a.warmup = a.warmup if a.warmup is not None else q.get("warmup", MIN_WARMUP)
    if a.seq is None and a.quick:
        a.seq = QUICK["seq"]
    for sh in a.shapes:
        if sh not in ("static", "dynamic"):
            p.error(f"unknown --shapes value '{sh}' (static, dynamic)")
    if a.iters < 1 or a.warmup < 0:
        p.error("--iters must be at least 1 and --warmup at least 0")
    if a.prune and a.quantize:
        p.error("--prune and --quantize are benchmarked separately")
    if a.prune and not re.fullmatch(r"2:4|(block16|unstructured):(0(\.\d*)?|\.\d+)", a.prune):
        p.error(f"bad --prune '{a.prune}' (2:4, block16:RATIO or unstructured:RATIO, "
                "RATIO in [0, 1))")
    if (a.iters < MIN_ITERS or a.warmup < MIN_WARMUP) and not a.exploratory:
        p.error(f"a benchmark needs at least {MIN_ITERS} timed and {MIN_WARMUP} warm-up runs per "
                f"engine (got --iters {a.iters}, --warmup {a.warmup}); --exploratory allows "
                "fewer and marks the results")
    return a


# ---------------------------------------------------------------------------
# Machine and peak
# ---------------------------------------------------------------------------
def machine_info():
    info = {"hostname": socket.gethostname(), "logical_cpus": os.cpu_count(),
            "kernel": platform.release()}
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    fields.setdefault(k.strip(), v.strip())
    except OSError:
        pass
    info["cpu_model"] = fields.get("model name", platform.processor() or "unknown")
    info["vendor"] = fields.get("vendor_id", "")
    fam, mod = fields.get("cpu family"), fields.get("model")
    info["cpu_family"] = int(fam) if fam and fam.isdigit() else None
    info["cpu_model_number"] = int(mod) if mod and mod.isdigit() else None
    flags = set(fields.get("flags", "").split())
    info["isa"] = ("avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "other")
    info["avx512_flags"] = sorted(f for f in flags if f.startswith("avx512"))
    info["short"] = f"{_cpu_short_name(info)}-{os.cpu_count()}c"
    return info


def _cpu_short_name(info):
    fam, mod = info["cpu_family"], info["cpu_model_number"]
    if info["vendor"] == "AuthenticAMD" and fam is not None and mod is not None:
        if fam == 0x17:
            return "zen2" if mod >= 0x30 else "zen1"
        if fam == 0x19:
            if 0x10 <= mod <= 0x1F or 0x60 <= mod <= 0x7F or 0xA0 <= mod <= 0xAF:
                return "zen4"
            return "zen3"
        if fam == 0x1A:
            return "zen5"
    # Intel server cores by model (under a hypervisor the model name is often
    # just "Intel(R) Xeon(R) Processor").
    intel = {0x55: "skx", 0x6A: "icx", 0x6C: "icx", 0x8F: "spr", 0xCF: "emr", 0xAD: "gnr",
             0xAE: "gnr"}
    if info["vendor"] == "GenuineIntel" and fam == 6 and mod in intel:
        return intel[mod]
    words = re.sub(r"\(.*?\)|CPU|Processor|@.*", "", info["cpu_model"]).lower().split()
    slug = "-".join(w for w in words if w not in ("intel", "amd", "core", "xeon"))[:24]
    return re.sub(r"[^a-z0-9-]", "", slug) or "cpu"


class CpuUse:
    """CPU time that other processes (and the hypervisor, as steal) took
    while the harness ran: machine busy time from /proc/stat less this
    process tree's own CPU time, as a fraction of wall time x CPUs."""

    def __init__(self):
        self.t0, self.busy0, self.steal0, self.ours0 = time.time(), *self._stat(), self._ours()

    @staticmethod
    def _stat():
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return 0.0, 0.0
        hz = os.sysconf("SC_CLK_TCK")
        busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
        return busy / hz, (v[7] if len(v) > 7 else 0) / hz

    @staticmethod
    def _ours():
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def stop(self):
        busy, steal = self._stat()
        cap = max(1e-9, (time.time() - self.t0) * (os.cpu_count() or 1))
        others = max(0.0, (busy - self.busy0) - (self._ours() - self.ours0))
        return {"others_frac": round(others / cap, 4), "steal_frac": round((steal - self.steal0) / cap, 4)}


def measure_peak(thread_counts, work_dir, probe="fma_peak"):
    """The peak with T concurrent copies of a probe, summed, per T:
    fma_peak (fp32 FMA GFLOP/s) or vnni_peak (int8 dot-product GOP/s)."""
    src = os.path.join(HERE, "peak", probe + ".c")
    exe = os.path.join(work_dir, probe)
    cc = shutil.which("clang-22") or shutil.which("cc")
    subprocess.run([cc, "-O2", "-march=native", src, "-o", exe], check=True)
    peak, isa = {}, None
    for t in sorted(set(thread_counts)):
        procs = [subprocess.Popen([exe, "0.3"], stdout=subprocess.PIPE, text=True)
                 for _ in range(t)]
        total = 0.0
        for pr in procs:
            out, _ = pr.communicate()
            m = re.search(r"(?:gflops|gops)=([\d.]+) isa=(\w+)", out)
            total += float(m.group(1))
            isa = m.group(2)
        peak[t] = total
    return peak, isa


# ---------------------------------------------------------------------------
# Model files and Tessera artifacts (cached)
# ---------------------------------------------------------------------------
def _sha256_file(path, n=16):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:n]


def builder_hash():
    h = hashlib.sha256()
    for p in (os.path.join(HERE, "models.py"), os.path.join(ROOT, "test", "e2e", "models.py")):
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:12]


def onnx_file(model, seq, cache_dir):
    """The cached ONNX file of a model (the GEMM: of its M = seq)."""
    import onnx
    import models as bm
    base = model if model != "gemm" else f"gemm-m{seq}"
    d = os.path.join(cache_dir, "onnx")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{base}-{builder_hash()}.onnx")
    if os.path.exists(path):
        return path
    for old in os.listdir(d):  # drop versions built by older builders
        if old.startswith(base + "-") and re.fullmatch(re.escape(base) + r"-[0-9a-f]{12}\.onnx", old):
            os.unlink(os.path.join(d, old))
    log(f"[build] {base}: building the ONNX model ...")
    t0 = time.time()
    proto = bm.build(model, seq)
    onnx.save(proto, path + ".tmp")
    os.replace(path + ".tmp", path)
    log(f"[build] {base}: {os.path.getsize(path) / 1e6:.0f} MB in {time.time() - t0:.1f}s")
    return path


def pruned_file(onnx_path, spec):
    """The cached copy of an ONNX file with its linear weights pruned by
    tools/prune_onnx.py."""
    import onnx
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import prune_onnx
    path = onnx_path[:-len(".onnx")] + "-pruned-" + spec.replace(":", "_") + ".onnx"
    if not os.path.exists(path):
        log(f"[build] {os.path.basename(path)}: pruning to {spec} ...")
        model = onnx.load(onnx_path)
        kept, total = prune_onnx.prune_model(model, spec)
        onnx.save(model, path + ".tmp")
        os.replace(path + ".tmp", path)
        log(f"[build] kept {kept} of {total} linear weights ({100.0 * kept / total:.1f}%)")
    return path


def ort_quantized_file(onnx_path):
    """onnxruntime's own int8 model of an f32 ONNX file (cached beside it):
    quantize_dynamic with its defaults (int8 weights, dynamic uint8
    activations), what a user of onnxruntime gets."""
    from onnxruntime.quantization import quantize_dynamic
    path = onnx_path[:-len(".onnx")] + "-ort-int8.onnx"
    if not os.path.exists(path):
        log(f"[build] {os.path.basename(path)}: onnxruntime.quantization.quantize_dynamic ...")
        quantize_dynamic(onnx_path, path + ".tmp.onnx")
        os.replace(path + ".tmp.onnx", path)
    return path


def first_error_line(stderr):
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    line = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "")
    line = re.sub(r"^tessera-compile: error:\s*", "", line)
    line = re.sub(r"^\S+\.onnx:\s*", "", line)                 # the model's path
    return re.sub(r'\("[^"]*":\d+:\d+\)', "", line)  # MLIR locations: drop the file path


def calibration_sets(model, batch, seq, cache_dir, count=8):
    """A folder of `count` input sets for --calibrate, drawn with seeds 1..count
    (the timed input is seed 0); kept in the cache under a fixed path so that
    the compile cache still hits."""
    import numpy as np
    import models as bm
    d = os.path.join(cache_dir, "calibration", f"{model}-b{batch}-s{seq}")
    for i in range(count):
        set_dir = os.path.join(d, f"set{i:03d}")
        if os.path.isdir(set_dir):
            continue
        os.makedirs(set_dir + ".tmp", exist_ok=True)
        for name, arr in bm.make_inputs(model, batch, seq, seed=i + 1).items():
            np.save(os.path.join(set_dir + ".tmp", f"{name}.npy"), arr)
        os.replace(set_dir + ".tmp", set_dir)
    return d


def tessera_compile(compiler, onnx_path, feeds, key, cache_dir, timeout, static=True,
                    extra_args=()):
    """Compiles (or reuses) a model for the feeds' fixed shapes (static), or
    with the model's symbolic dims left dynamic.
    Returns (artifact dir, None, seconds) or (None, error line, seconds)."""
    d = os.path.join(cache_dir, "tessera", key)
    stamp_path = os.path.join(d, "stamp.json")
    args = []
    for name, arr in (feeds.items() if static else ()):
        args += ["--input-shape", f"{name}=" + "x".join(str(s) for s in arr.shape)]
    args += list(extra_args)
    stamp = {"compiler": _sha256_file(compiler), "onnx": os.path.basename(onnx_path), "args": args}
    if os.path.exists(stamp_path):
        with open(stamp_path) as f:
            old = json.load(f)
        if all(old.get(k) == v for k, v in stamp.items()):
            log(f"[compile] {key}: cached ({'ok' if old['error'] is None else 'unsupported'})")
            return (d if old["error"] is None else None), old["error"], old.get("seconds")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    log(f"[compile] {key}: tessera-compile {os.path.basename(onnx_path)} {' '.join(args)}")
    t0 = time.time()
    try:
        p = subprocess.run([compiler, onnx_path, "-o", d] + args, capture_output=True,
                           text=True, timeout=timeout)
        err = None
        if p.returncode != 0:
            how = f"killed by signal {-p.returncode}: " if p.returncode < 0 else ""
            err = how + (first_error_line(p.stderr) or f"exit code {p.returncode}")
        elif not os.path.exists(os.path.join(d, "model.tsr")):
            err = "no model.tsr written"
    except subprocess.TimeoutExpired:
        err = f"compile timed out after {timeout:.0f}s"
    secs = time.time() - t0
    if err:
        for f in os.listdir(d):  # keep only the stamp of a failure
            fp = os.path.join(d, f)
            shutil.rmtree(fp) if os.path.isdir(fp) else os.unlink(fp)
    log(f"[compile] {key}: {'ok' if err is None else err} ({secs:.1f}s)")
    stamp.update(error=err, seconds=round(secs, 2))
    with open(stamp_path, "w") as f:
        json.dump(stamp, f, indent=1)
    return (d if err is None else None), err, secs


# ---------------------------------------------------------------------------
# The worker: one (model, batch, seq), every thread count, in its own process
# ---------------------------------------------------------------------------
def percentile(xs, q):
    import numpy as np
    return float(np.percentile(np.asarray(xs), q)) if xs else None


def max_abs_error(got, ref):
    """(max abs error of the arrays `got` against `ref`, both name -> array,
    None) or (None, why they cannot be compared)."""
    import numpy as np
    errs = []
    for name, r in ref.items():
        g = got.get(name)
        if g is None or g.shape != r.shape:
            return None, f"output '{name}': shape {None if g is None else g.shape} vs ORT {r.shape}"
        errs.append(float(np.max(np.abs(g.astype(np.float64) - r))) if r.size else 0.0)
    if not all(math.isfinite(e) for e in errs):
        return float("inf"), None
    return (max(errs) if errs else 0.0), None


def min_row_cosine(got, ref):
    """The worst cosine between matching rows (last dim: tokens) of every
    output of `got` and `ref` (name -> array)."""
    import numpy as np
    worst = 1.0
    for name, r in ref.items():
        g = got.get(name)
        if g is None or g.shape != r.shape or r.size == 0:
            return None
        g2 = g.reshape(-1, g.shape[-1]).astype(np.float64)
        r2 = r.reshape(-1, r.shape[-1]).astype(np.float64)
        den = np.linalg.norm(g2, axis=1) * np.linalg.norm(r2, axis=1)
        cos = np.where(den > 0, (g2 * r2).sum(axis=1) / np.where(den > 0, den, 1), 1.0)
        worst = min(worst, float(cos.min()))
    return worst


def worker(spec_path, result_path):
    import numpy as np
    import onnxruntime as ort
    import models as bm
    import tessera_rt as trt

    with open(spec_path) as f:
        spec = json.load(f)
    feeds = bm.make_inputs(spec["model"], spec["batch"], spec["seq"])
    rt = trt.Runtime(spec["runtime_lib"]) if spec["tessera_dir"] else None
    rows = []

    def save():
        with open(result_path + ".tmp", "w") as f:
            json.dump(rows, f)
        os.replace(result_path + ".tmp", result_path)

    reference = None
    if spec.get("reference_onnx"):
        # The f32 outputs the quantized engines are measured against.
        ref_sess = ort.InferenceSession(spec["reference_onnx"],
                                        providers=["CPUExecutionProvider"])
        reference = dict(zip([o.name for o in ref_sess.get_outputs()],
                             ref_sess.run(None, feeds)))
        del ref_sess
    for T in spec["threads"]:
        row = {"threads": T, "tessera_ms": [], "ort_ms": [], "tessera_error": spec["tessera_error"],
               "max_abs_err": None}
        if spec.get("tessera_f32_dir"):
            row["tessera_f32_ms"] = []
        rows.append(row)
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = T
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # The static-shape rows fix onnxruntime's symbolic dims to the
        # config's shape, as --input-shape does for Tessera.
        for dim, value in spec["dim_overrides"].items():
            so.add_free_dimension_override_by_name(dim, value)
        t0 = time.perf_counter()
        sess = ort.InferenceSession(spec["onnx"], so, providers=["CPUExecutionProvider"])
        row["ort_load_s"] = time.perf_counter() - t0
        out_names = [o.name for o in sess.get_outputs()]
        binding = None

        def ort_run():
            """One run. Before bind_ort_outputs(): sess.run (converts the
            inputs, allocates outputs; the accuracy run only). After: the
            timed form, IOBinding over the bound inputs and outputs."""
            t = time.perf_counter()
            if binding is None:
                out = sess.run(out_names, feeds)
            else:
                sess.run_with_iobinding(binding)
                out = None
            return time.perf_counter() - t, out

        ts = None
        if rt is not None and row["tessera_error"] is None:
            try:
                t0 = time.perf_counter()
                ts = trt.Session(rt, os.path.join(spec["tessera_dir"], "model.tsr"), T)
                ts.bind(feeds)
                row["tessera_load_s"] = time.perf_counter() - t0
            except Exception as e:  # noqa: BLE001 - any failure is reported, not fatal
                row["tessera_error"] = f"load failed: {e}"
                ts = None

        def tsr_run():
            try:
                return ts.run()
            except trt.TesseraError as e:
                row["tessera_error"] = f"run failed: {e}"
                return None

        # With --quantize=bf16, Tessera's f32 build of the same model as a
        # third engine (its outputs bound like the others').
        ts32 = None
        if ts is not None and spec.get("tessera_f32_dir"):
            try:
                ts32 = trt.Session(rt, os.path.join(spec["tessera_f32_dir"], "model.tsr"), T)
                ts32.bind(feeds)
                ts32.run()
                ts32.bind_outputs({n: np.empty_like(g) for n, g in ts32.fetch_outputs().items()})
            except trt.TesseraError as e:
                log(f"[run] {spec['label']} t{T}: tessera f32 build failed: {e}")
                ts32 = None

        # The accuracy run of each (not a warm-up run): its outputs are
        # compared, and give the output shapes that both engines then write
        # into, pre-allocated, in every warm-up and timed run.
        label = f"{spec['label']} t{T}"
        t_ort, ref = ort_run()
        row["first_run_ort_ms"] = t_ort * 1e3
        if reference is not None:
            row["cosine_ort"] = min_row_cosine(dict(zip(out_names, ref)), reference)
        log(f"[run] {label}: ort first run {t_ort * 1e3:.1f} ms")
        binding = sess.io_binding()
        for name, arr in feeds.items():
            binding.bind_cpu_input(name, arr)
        ort_outs = {name: np.empty_like(r) for name, r in zip(out_names, ref)}
        for name, arr in ort_outs.items():
            binding.bind_output(name, "cpu", 0, arr.dtype, list(arr.shape), arr.ctypes.data)
        warm_ort, warm_tsr = [], []
        if ts is not None:
            t = tsr_run()
            if t is not None:
                row["first_run_tessera_ms"] = t * 1e3
                log(f"[run] {label}: tessera first run {t * 1e3:.1f} ms")
                got = ts.fetch_outputs()
                row["max_abs_err"], row["tessera_error"] = max_abs_error(
                    got, dict(zip(out_names, ref)))
                if reference is not None:
                    row["cosine_tessera"] = min_row_cosine(got, reference)
        tsr_ok = ts is not None and row["tessera_error"] is None
        if tsr_ok:
            try:
                ts.bind_outputs({name: np.empty_like(g) for name, g in got.items()})
            except trt.TesseraError as e:
                row["tessera_error"] = f"binding outputs failed: {e}"
                tsr_ok = False
        for _ in range(spec["warmup"]):
            warm_ort.append(ort_run()[0])
            if ts32 is not None:
                try:
                    ts32.run()
                except trt.TesseraError as e:
                    log(f"[run] {spec['label']} t{T}: tessera f32 build failed: {e}")
                    ts32 = None
            if tsr_ok:
                t = tsr_run()
                tsr_ok = t is not None
                if tsr_ok:
                    warm_tsr.append(t)
        row["warmup_tessera_ms"] = [t * 1e3 for t in warm_tsr]
        row["warmup_ort_ms"] = [t * 1e3 for t in warm_ort]

        # Timed runs, interleaved; the engine that goes first rotates.
        engines = ["tsr", "ort"] + (["tsr32"] if ts32 is not None else [])
        f32_ok = ts32 is not None
        for i in range(spec["iters"]):
            shift = i % len(engines)
            order = engines[shift:] + engines[:shift]
            for eng in order:
                # Let the other engine's spinning worker threads go idle
                # first: on a 2-core machine they would otherwise steal
                # the cores of the run being timed.
                time.sleep(spec["settle_ms"] / 1e3)
                if eng == "ort":
                    row["ort_ms"].append(ort_run()[0] * 1e3)
                elif eng == "tsr32":
                    if not f32_ok:
                        continue
                    try:
                        row["tessera_f32_ms"].append(ts32.run() * 1e3)
                    except trt.TesseraError as e:
                        log(f"[run] {spec['label']} t{T}: tessera f32 build failed: {e}")
                        f32_ok = False
                elif tsr_ok:
                    t = tsr_run()
                    tsr_ok = t is not None
                    if tsr_ok:
                        row["tessera_ms"].append(t * 1e3)
        if tsr_ok and row["tessera_ms"]:
            # The buffers the last timed runs wrote: the timed work computed
            # the same answer as the accuracy run.
            row["max_abs_err_timed"], why = max_abs_error(ts.bound_outputs, ort_outs)
            if why:
                row["tessera_error"] = f"timed runs: {why}"
        med = lambda xs: f"{percentile(xs, 50):.2f} ms" if xs else "-"  # noqa: E731
        log(f"[run] {label}: tessera {med(row['tessera_ms'])}, ort {med(row['ort_ms'])}"
            + (f", max abs err {row['max_abs_err']:.2e}" if row["max_abs_err"] is not None else "")
            + (f", tessera: {row['tessera_error']}" if row["tessera_error"] else ""))
        if ts is not None:
            ts.close()
        if ts32 is not None:
            ts32.close()
        del sess
        save()
    save()


def run_group(spec, work_dir):
    """Runs a worker; returns its rows. If it dies (a crash in generated code
    takes the process with it), reports that and times onnxruntime alone for
    the thread counts it did not finish."""
    spec_path = os.path.join(work_dir, "spec.json")
    result_path = os.path.join(work_dir, "result.json")
    if os.path.exists(result_path):
        os.unlink(result_path)
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", spec_path,
                        result_path], stderr=subprocess.PIPE, text=True)
    sys.stderr.write(p.stderr)
    rows = []
    if os.path.exists(result_path):
        with open(result_path) as f:
            rows = json.load(f)
    if p.returncode == 0:
        return rows
    if p.returncode < 0:
        try:
            why = f"crashed ({signal.Signals(-p.returncode).name})"
        except ValueError:
            why = f"crashed (signal {-p.returncode})"
    else:
        tail = [ln for ln in p.stderr.splitlines() if ln.strip()]
        why = f"harness error: {tail[-1] if tail else 'exit code ' + str(p.returncode)}"
    log(f"[run] {spec['label']}: worker {why}")
    # The result file holds the thread counts that finished; the first of the
    # rest is the one that died. Tessera is marked for all of them and
    # onnxruntime is timed alone.
    done = {r["threads"] for r in rows}
    rest = [t for t in spec["threads"] if t not in done]
    if rest and spec["tessera_dir"]:
        rows += run_group(dict(spec, threads=rest, tessera_dir=None, tessera_error=why), work_dir)
    return rows


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------
def summarize(row, flops, peak):
    for eng in ("tessera", "ort"):
        xs = row[f"{eng}_ms"]
        row[eng] = None if not xs else {
            "median_ms": percentile(xs, 50), "p10_ms": percentile(xs, 10),
            "p90_ms": percentile(xs, 90), "n": len(xs)}
        if row[eng]:
            row[eng]["p90_over_median"] = row[eng]["p90_ms"] / row[eng]["median_ms"]
            gf = flops / (row[eng]["median_ms"] * 1e-3) * 1e-9
            row[eng]["gflops"] = gf
            row[eng]["pct_peak"] = 100.0 * gf / peak[row["threads"]]
    row["ratio"] = (row["tessera"]["median_ms"] / row["ort"]["median_ms"]
                    if row["tessera"] and row["ort"] else None)
    if row.get("tessera_f32_ms"):
        row["tessera_f32"] = {"median_ms": percentile(row["tessera_f32_ms"], 50),
                              "n": len(row["tessera_f32_ms"])}
        row["ratio_f32"] = (row["tessera"]["median_ms"] / row["tessera_f32"]["median_ms"]
                            if row["tessera"] else None)
    row["noisy"] = any(row[e] and row[e]["p90_over_median"] > NOISY_P90_OVER_MEDIAN
                       for e in ("tessera", "ort"))


def fmt_ms(s):
    if not s:
        return "-"
    def f(x):
        return f"{x:.3g}" if x < 100 else f"{x:.0f}"
    return f"{f(s['median_ms'])} ({f(s['p10_ms'])}–{f(s['p90_ms'])})"


def fmt_ratio(v):
    return f"{v:.0f}×" if v >= 10 else f"{v:.2f}×"


def fmt_gf(s):
    return "-" if not s else f"{s['gflops']:.1f} ({s['pct_peak']:.1f}%)"


def fmt_spread(r):
    """p90/median of both engines, flagged when either is over the limit."""
    sp = "/".join(f"{r[e]['p90_over_median']:.2f}" if r[e] else "-" for e in ("tessera", "ort"))
    return f"**{sp} noisy ⚠**" if r["noisy"] else sp


def markdown(results):
    lines = []
    t = results["tessera"]
    if t["dirty"]:
        lines += [f"**DIRTY TREE: not a benchmark of commit {t['commit']}.** The tree differed "
                  "from it in: " + ", ".join(f"`{p}`" for p in t["dirty_paths"]) + ".", ""]
    if results.get("exploratory"):
        a = results["args"]
        lines += [f"**EXPLORATORY: {a['iters']} timed and {a['warmup']} warm-up runs per engine, "
                  f"fewer than a benchmark's {MIN_ITERS} and {MIN_WARMUP}.**", ""]
    lines += [
        "| config | thr | Tessera ms, median (p10–p90) | ORT ms, median (p10–p90) | Tessera/ORT "
        "| p90/median (T/ORT) | max abs err | GFLOP | Tessera GFLOP/s (% peak) "
        "| ORT GFLOP/s (% peak) | n |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["rows"]:
        if r["tessera_error"] and not r["tessera"]:
            tsr = r["tessera_error"].replace("|", "\\|")
            if len(tsr) > 140:
                tsr = tsr[:137] + "..."
        else:
            tsr = fmt_ms(r["tessera"])
        errs = [e for e in (r["max_abs_err"], r.get("max_abs_err_timed")) if e is not None]
        worst = max(errs) if errs else None
        err = "-" if worst is None else f"{worst:.1e}"
        if worst is not None and not worst <= ERR_FLAG:
            err = f"**{err} ⚠**"
        ratio = "-" if r["ratio"] is None else fmt_ratio(r["ratio"])
        n = "/".join(str(r[e]["n"]) if r[e] else "0" for e in ("tessera", "ort"))
        if "cosine_ort" in r:
            # Quantized rows: both engines against onnxruntime's f32 outputs.
            ct, co = r.get("cosine_tessera"), r.get("cosine_ort")
            err = ("-" if ct is None else f"{ct:.5f}") + " / " + \
                  ("-" if co is None else f"{co:.5f}")
        lines.append(f"| {r['label']} | {r['threads']} | {tsr} | {fmt_ms(r['ort'])} | {ratio} | "
                     f"{fmt_spread(r)} | {err} | {r['gflop']:.2f} | {fmt_gf(r['tessera'])} | "
                     f"{fmt_gf(r['ort'])} | {n} |")
    pk = results["peak"]
    what = ("int8 dot products" if pk.get("probe") == "vnni_peak" else "fp32 FMA")
    notes = [f"Peak {what} ({pk['isa']}, bench/peak/{pk.get('probe', 'fma_peak')}.c, "
             "one copy per thread): "
             + "; ".join(f"{t} thread{'s' if int(t) > 1 else ''}: {g:.1f} "
                         + ("GOP/s" if pk.get("probe") == "vnni_peak" else "GFLOP/s")
                         for t, g in sorted(pk["gflops"].items(), key=lambda kv: int(kv[0])))
             + ". % peak = GFLOP/s / the peak at the row's thread count."]
    g = {int(t): v for t, v in pk["gflops"].items()}
    for t, v in sorted(g.items()):
        if 1 in g and t > 1 and v < 0.9 * t * g[1]:
            notes.append(f"Note: {t} copies of the FMA loop reached only {v / g[1]:.2f}× one copy "
                         "(cores shared: SMT siblings, or a busy machine).")
    m = results["machine"]
    notes.append(f"Machine: {m['cpu_model']} ({m['short']}, {m['logical_cpus']} logical CPUs), "
                 f"onnxruntime {results['onnxruntime']}, Tessera {results['tessera']['commit']}"
                 f"{' (DIRTY TREE)' if results['tessera']['dirty'] else ''}, {results['date']}.")
    other = results.get("other_load")
    if other and other["others_frac"] > 0.05:
        notes.append(f"**Warning: other processes used {100 * other['others_frac']:.0f}% of the "
                     "machine's CPU time during this run; timings are noisy.**")
    if other and other["steal_frac"] > 0.02:
        notes.append(f"**Warning: the hypervisor stole {100 * other['steal_frac']:.0f}% of the CPU "
                     "time during this run.**")
    if results["args"].get("quantize") == "ort-dynamic":
        notes.append("Quantized rows (ort-dynamic): both engines run onnxruntime's own "
                     "`quantize_dynamic` model (defaults: int8 weights per tensor, uint8 "
                     "activations per tensor, DynamicQuantizeLinear + MatMulInteger); Tessera "
                     "compiles that file with no flag and folds its matmuls into its int8 "
                     "kernels. The max abs err column holds instead the worst per-token cosine "
                     "to onnxruntime's f32 outputs, Tessera / onnxruntime. % peak is against "
                     "the int8 peak, the attention products (f32 on both sides) counted in.")
    elif results["args"].get("quantize") not in (None, "bf16"):
        how = ("`--quantize=int8-static --calibrate` (per-channel int8 weights, SmoothQuant "
               "alpha 0.6, one static int8 scale per linear input from 8 calibration sets)"
               if results["args"]["quantize"] == "int8-static" else
               "`--quantize=int8` (per-channel int8 weights, per-token int8 activations)")
        notes.append(f"Quantized rows ({results['args']['quantize']}): Tessera compiles the f32 "
                     f"model with {how}; onnxruntime runs its own `quantize_dynamic` model (defaults: "
                     "int8 weights per tensor, uint8 activations per tensor). The max abs err "
                     "column holds instead the worst per-token cosine to onnxruntime's f32 "
                     "outputs, Tessera / onnxruntime. % peak is against the int8 peak, the "
                     "attention products (f32 on both sides) counted in.")
    if results["args"].get("quantize") == "bf16":
        notes.append("bf16 rows: Tessera compiles the f32 model with `--quantize=bf16` (bf16 "
                     "weights and embedding tables, activations rounded to bf16 at each linear, "
                     "f32 sums); onnxruntime runs the f32 model. The max abs err column holds "
                     "instead the worst per-token cosine to onnxruntime's f32 outputs, "
                     "Tessera / onnxruntime. Tessera's own f32 build was timed in the same "
                     "interleaved loop: "
                     + "; ".join(f"{r['label']} t{r['threads']} bf16/f32 "
                                 f"{r['ratio_f32']:.2f}× (f32 {r['tessera_f32']['median_ms']:.2f} ms)"
                                 for r in results["rows"] if r.get("ratio_f32"))
                     + ". % peak is against the fp32 FMA peak.")
    if results["args"].get("prune"):
        notes.append(f"Pruned rows ({results['args']['prune']}): both engines run the model with "
                     "its linear weights pruned by `tools/prune_onnx.py` (magnitude, the rules "
                     "of `tessera-compile --prune`); Tessera compiles it as it is "
                     "(`--sparsity=auto`: the cost model picks sparse kernels where the zeros "
                     "pay) and with `--sparsity=off` (the dense kernels on the same weights), "
                     "timed in the same interleaved loop: "
                     + "; ".join(f"{r['label']} t{r['threads']} sparse/dense "
                                 f"{r['ratio_f32']:.2f}× (dense {r['tessera_f32']['median_ms']:.2f} ms)"
                                 for r in results["rows"] if r.get("ratio_f32"))
                     + ".")
    noisy = [f"{r['label']} t{r['threads']}" for r in results["rows"] if r["noisy"]]
    if noisy:
        notes.append(f"**Noisy rows (p90 over {NOISY_P90_OVER_MEDIAN:g}× the median): "
                     + ", ".join(noisy) + ".**")
    a = results["args"]
    notes.append("Both engines did the same work in every timed run: inputs bound once, outputs "
                 "written into pre-allocated caller arrays (onnxruntime: IOBinding, "
                 "`run_with_iobinding`; Tessera: `tsr_session_run` with caller outputs). Rows "
                 "without `dyn` fix the symbolic dims on both sides (Tessera `--input-shape`, "
                 "onnxruntime `add_free_dimension_override_by_name`); `dyn` rows keep them "
                 f"symbolic on both. Per engine: 1 accuracy run, {a['warmup']} warm-up runs, "
                 f"{a['iters']} timed runs, interleaved.")
    notes.append(f"Max abs error is Tessera vs onnxruntime on the same inputs (the accuracy run; "
                 f"the timed runs' last outputs are checked too); ⚠ marks > {ERR_FLAG:g}. "
                 "GFLOP counts matmuls only (2·M·N·K, attention included; causal models count "
                 "the unmasked half of the attention matmuls). n = timed runs (Tessera/ORT).")
    lines += ["", "\n\n".join(notes)]
    return "\n".join(lines) + "\n"


def chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("[chart] matplotlib is not installed (bash scripts/setup.sh): no chart")
        return None
    rows = results["rows"]
    labels = [f"{r['label'].split(' K=')[0]} t{r['threads']}" for r in rows]
    vals = [r["ratio"] for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(rows) + 2), 4.8))
    xs = range(len(rows))
    ok = [v for v in vals if v]
    # Bars grow from parity (1) up (Tessera slower, red) or down (faster, green).
    ax.bar([x for x, v in zip(xs, vals) if v], [v - 1 for v in ok], bottom=1,
           color=["tab:green" if v <= 1 else "tab:red" for v in ok])
    for x, v, r in zip(xs, vals, rows):
        if v:
            ax.text(x, v, fmt_ratio(v), ha="center", va="bottom" if v >= 1 else "top", fontsize=7)
        else:
            ax.text(x, 1, "unsupported" if r["tessera_error"] else "n/a", rotation=90,
                    ha="center", va="bottom", fontsize=7, color="gray")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("Tessera / ORT median latency (log)")
    lo, hi = min([0.5] + [v / 1.3 for v in ok]), max([2.0] + [v * 1.3 for v in ok])
    ax.set_ylim(lo, hi)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    ticks = [2.0 ** e for e in range(math.floor(math.log2(lo)), math.ceil(math.log2(hi)) + 1)]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}×"))
    ax.set_title(f"Tessera vs onnxruntime — {results['machine']['short']}, {results['date']}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def git_state():
    """(short commit, the paths that differ from it). Untracked files count
    (a new source file changes the build) except under bench/results, where
    the harness itself writes; ignored ones (build/, .venv/) do not."""
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        status = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", ".",
                                 ":(exclude)bench/results"],
                                capture_output=True, text=True).stdout
        return commit or "unknown", [ln[3:] for ln in status.splitlines() if ln.strip()]
    except OSError:
        return "unknown", ["(git is not available: the tree cannot be checked)"]


def configs(a):
    import models as bm
    base = []  # (model, batch, seq, label, key)
    for m in a.models:
        if m == "gemm":
            for M in a.gemm_m:
                base.append((m, 1, M, f"gemm M={M} K={bm.GEMM_K} N={bm.GEMM_N}", f"gemm-m{M}"))
            continue
        spec = bm.MODELS[m]
        for b in a.batch:
            if spec["kind"] == "image":
                s = (spec["image"] // spec["patch"]) ** 2 + 1
                base.append((m, b, s, f"{m} b{b} {spec['image']}px", f"{m}-b{b}"))
            else:
                for s in (a.seq or spec["seqs"]):
                    base.append((m, b, s, f"{m} b{b} s{s}", f"{m}-b{b}-s{s}"))
    out = []  # (model, batch, seq, label, key, static shapes?)
    for c in base:
        for sh in a.shapes:
            if sh == "static":
                out.append(c + (True,))
            else:
                out.append(c[:3] + (c[3] + " dyn", c[4] + "-dyn", False))
    return out


def symbolic_dims(onnx_path, feeds):
    """{dim name: value} for the symbolic dims of the model's graph inputs,
    as the feeds fix them."""
    import onnx
    model = onnx.load(onnx_path, load_external_data=False)
    dims = {}
    for inp in model.graph.input:
        if inp.name not in feeds:
            continue
        shape = feeds[inp.name].shape
        for i, d in enumerate(inp.type.tensor_type.shape.dim):
            if d.dim_param and i < len(shape):
                dims[d.dim_param] = int(shape[i])
    return dims


def main(argv):
    a = parse_args(argv)
    if a.worker:
        worker(*a.worker)
        return 0
    import numpy  # noqa: F401 - fail early outside the venv
    import onnxruntime as ort
    import models as bm
    import tessera_rt as trt

    # A table must say which code it measured: a commit, and nothing on top.
    commit, dirty = git_state()
    if dirty and not a.allow_dirty:
        log("bench.py: error: the tree differs from commit " + commit + " in: "
            + ", ".join(dirty[:10]) + (" ..." if len(dirty) > 10 else "")
            + "; commit (and rebuild) first, or pass --allow-dirty to get results marked as such")
        return 1

    os.makedirs(a.cache_dir, exist_ok=True)
    compiler = os.path.join(ROOT, "build", "bin", "tessera-compile")
    runtime_lib = None
    if not a.no_tessera:
        for _ in range(30):  # the lead may be relinking it
            if os.path.exists(compiler):
                break
            log(f"waiting for {compiler} ...")
            time.sleep(10)
        runtime_lib = trt.find_runtime_library(ROOT, a.cache_dir)
        log(f"[setup] compiler {compiler}, runtime {runtime_lib}")

    machine = machine_info()
    work = tempfile.mkdtemp(prefix="tessera-bench-")
    cpu_use = CpuUse()
    try:
        # int8 rows are measured against the int8 dot-product peak.
        probe = "vnni_peak" if a.quantize and a.quantize != "bf16" else "fma_peak"
        peak, isa = measure_peak(a.threads, work, probe)
        log("[peak] " + ", ".join(f"{t} thread(s): {g:.1f} GFLOP/s" for t, g in peak.items())
            + f" ({isa})")
        results = {
            "date": datetime.date.today().isoformat(),
            "timestamp": datetime.datetime.now().isoformat(timespec="seconds"),
            "machine": machine, "onnxruntime": ort.__version__,
            "tessera": {"commit": commit, "dirty": bool(dirty), "dirty_paths": dirty,
                        "compiler_sha256": _sha256_file(compiler) if not a.no_tessera else None,
                        "runtime_lib": runtime_lib},
            "peak": {"isa": isa, "probe": probe,
                     "gflops": {str(t): g for t, g in peak.items()}},
            "args": {k: v for k, v in vars(a).items() if k != "worker"},
            "method": ("one accuracy run, then warm-up and timed runs interleaved A/B in one "
                       "process; perf_counter around InferenceSession.run_with_iobinding "
                       "(inputs and outputs pre-bound) / tsr_session_run (inputs bound, outputs "
                       "into caller arrays); ORT_ENABLE_ALL, intra_op=T, inter_op=1, "
                       "sequential; static rows: symbolic dims fixed on both sides"),
            "exploratory": a.iters < MIN_ITERS or a.warmup < MIN_WARMUP,
            "rows": [],
        }
        for model, batch, seq, label, key, static in configs(a):
            onnx_path = onnx_file(model, seq, a.cache_dir)
            ort_path, reference_path, extra = onnx_path, None, []
            tessera_input = onnx_path
            feeds = bm.make_inputs(model, batch, seq)
            f32_dir = None
            if a.prune:
                onnx_path = ort_path = tessera_input = pruned_file(onnx_path, a.prune)
                pkey = f"{key}-prune-{a.prune.replace(':', '_')}"
                if not a.no_tessera:  # the dense kernels on the same weights
                    f32_dir, _, _ = tessera_compile(compiler, onnx_path, feeds, pkey + "-off",
                                                    a.cache_dir, a.compile_timeout, static,
                                                    ["--sparsity=off"])
                label, key = f"{label} {a.prune}", pkey
            elif a.quantize == "bf16":
                if not a.no_tessera:  # Tessera's f32 build, timed alongside
                    f32_dir, _, _ = tessera_compile(compiler, onnx_path, feeds, key,
                                                    a.cache_dir, a.compile_timeout, static)
                reference_path, extra = onnx_path, ["--quantize=bf16"]
                label, key = f"{label} bf16", f"{key}-bf16"
            elif a.quantize:
                ort_path, reference_path = ort_quantized_file(onnx_path), onnx_path
                if a.quantize == "ort-dynamic":
                    tessera_input = ort_path
                else:
                    extra = [f"--quantize={a.quantize}"]
                if a.quantize == "int8-static":
                    extra += ["--calibrate",
                              calibration_sets(model, batch, seq, a.cache_dir)]
                label, key = f"{label} {a.quantize}", f"{key}-{a.quantize}"
            tdir, terr, csecs = (None, "not run (--no-tessera)", None)
            if not a.no_tessera:
                tdir, terr, csecs = tessera_compile(compiler, tessera_input, feeds, key,
                                                    a.cache_dir, a.compile_timeout, static, extra)
                if terr and not terr.startswith(("compile timed out", "killed")):
                    terr = "unsupported: " + terr
            spec = {"model": model, "batch": batch, "seq": seq, "label": label,
                    "onnx": ort_path, "reference_onnx": reference_path,
                    "tessera_dir": tdir, "tessera_error": terr, "tessera_f32_dir": f32_dir,
                    "runtime_lib": runtime_lib, "threads": a.threads, "iters": a.iters,
                    "warmup": a.warmup, "settle_ms": a.settle_ms,
                    "dim_overrides": symbolic_dims(ort_path, feeds) if static else {}}
            rows = run_group(spec, work)
            flops = bm.matmul_flops(model, batch, seq)
            for r in rows:
                r.update(model=model, batch=batch, seq=seq, label=label, static_shapes=static,
                         gflop=flops / 1e9, compile_s=csecs)
                summarize(r, flops, peak)
                results["rows"].append(r)
        # Peak again at the end; the best of both (load from other processes
        # only ever lowers it).
        peak2, _ = measure_peak(a.threads, work, probe)
        results["peak"]["start_end"] = {str(t): [peak[t], peak2[t]] for t in peak}
        for t in peak:
            peak[t] = max(peak[t], peak2[t])
            results["peak"]["gflops"][str(t)] = peak[t]
        for r in results["rows"]:
            summarize(r, r["gflop"] * 1e9, peak)
        results["other_load"] = cpu_use.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    stem = f"{results['date']}-{machine['short']}" + ("-quick" if a.quick else "") \
        + (f"-{a.tag}" if a.tag else "") + ("-exploratory" if results["exploratory"] else "") \
        + ("-dirty" if dirty else "")
    os.makedirs(a.results_dir, exist_ok=True)
    base = os.path.join(a.results_dir, stem)
    table = markdown(results)
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(f"<!-- bench/bench.py {' '.join(argv)} -->\n" + table)
    png = None if a.no_chart else chart(results, base + ".png")
    print(table)
    print(f"wrote {base}.json, {base}.md" + (f", {png}" if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
