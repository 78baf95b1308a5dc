"""Measures what idle time between runs costs, for the README's analysis of
the single-GEMM 2-thread row.

1. Tessera: the GEMM benchmark model (M=128, K=768, N=3072) on 2 threads,
   timed in-process after a pause of 0, 1, 5, 20 and 50 ms before each run.
   A rise after ~20 ms is the wake-up of the worker's idle (virtual) CPU.
2. onnxruntime: CPU time an idle session burns in the 1, 10, 100 and
   1000 ms after a run, i.e. how long its worker threads spin.

Needs the harness's cache: run `bash bench/run.sh --models gemm --gemm-m 128
--threads 2` once first. Usage: .venv/bin/python bench/idle_latency.py
"""

import glob
import os
import sys
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(__file__))
import tessera_rt as trt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "bench", ".cache")
PAUSES_MS = [0, 1, 5, 20, 50]


def main():
    compiled = sorted(glob.glob(os.path.join(CACHE, "tessera", "gemm-m128*")))
    onnx_files = sorted(glob.glob(os.path.join(CACHE, "onnx", "gemm-m128*.onnx")))
    if not compiled or not onnx_files:
        sys.exit("idle_latency: run `bash bench/run.sh --models gemm --gemm-m 128 "
                 "--threads 2` first (it fills bench/.cache)")
    x = np.random.default_rng(0).random((128, 768), dtype=np.float32)

    rt = trt.Runtime(trt.find_runtime_library(ROOT, CACHE))
    session = trt.Session(rt, os.path.join(compiled[0], "model.tsr"), 2)
    session.bind({"x": x})
    print("tessera, 2 threads, pause before each run -> median / p10 latency")
    for pause in PAUSES_MS:
        times = []
        for _ in range(30):
            time.sleep(pause / 1e3)
            t = time.perf_counter()
            session.run()
            times.append((time.perf_counter() - t) * 1e3)
        print(f"  pause {pause:3d} ms: {np.median(times):6.2f} ms / "
              f"{np.percentile(times, 10):6.2f} ms")
    session.close()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(onnx_files[0], opts,
                                providers=["CPUExecutionProvider"])
    feeds = {sess.get_inputs()[0].name: x}
    sess.run(None, feeds)
    print("onnxruntime, 2 threads, CPU time burnt while idle after a run")
    for idle in [0.001, 0.01, 0.1, 1.0]:
        sess.run(None, feeds)
        c0 = time.process_time()
        time.sleep(idle)
        print(f"  idle {idle * 1e3:6.0f} ms: {(time.process_time() - c0) * 1e3:6.1f} ms CPU")


if __name__ == "__main__":
    main()
