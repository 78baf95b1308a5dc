"""ctypes binding of the Tessera runtime C API (runtime/include/tessera/runtime.h),
just enough to load a compiled model, run it on numpy buffers and time
`tsr_session_run` in-process.

The library is `libtessera_runtime.so`. `find_runtime_library` looks for
$TESSERA_RUNTIME_LIB, then build/runtime/libtessera_runtime.so; when only the
static archive is there, or the archive is newer (the shared library is a
separate target that a partial build may leave stale), it links the archive
into a shared library in the cache directory (clang-22, the export map of
runtime/src/exports.map), relinked whenever the archive changes.
"""

import ctypes
import hashlib
import os
import shutil
import subprocess
from time import perf_counter as _perf_counter

import numpy as np

TSR_MAX_RANK = 8

# tsr_dtype_t <-> numpy
_DTYPES = {
    1: np.float32, 2: np.float16, 4: np.float64, 5: np.int8, 6: np.int16,
    7: np.int32, 8: np.int64, 9: np.uint8, 10: np.bool_,
}
_NP_TO_TSR = {np.dtype(v): k for k, v in _DTYPES.items()}


class TensorView(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * TSR_MAX_RANK), ("data", ctypes.c_void_p),
                ("byte_size", ctypes.c_size_t)]


class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * TSR_MAX_RANK),
                ("dim_names", ctypes.c_char_p * TSR_MAX_RANK)]


class SessionOptions(ctypes.Structure):
    # num_threads is the first field; the padding leaves room for fields a
    # later runtime adds (tsr_session_options_init fills them with defaults).
    _fields_ = [("num_threads", ctypes.c_int32), ("_reserved", ctypes.c_uint8 * 508)]


class TesseraError(RuntimeError):
    pass


def find_runtime_library(root, cache_dir):
    env = os.environ.get("TESSERA_RUNTIME_LIB")
    if env:
        return env
    shared = os.path.join(root, "build", "runtime", "libtessera_runtime.so")
    archive = os.path.join(root, "build", "runtime", "libtessera_runtime.a")
    if os.path.exists(shared) and (not os.path.exists(archive)
                                   or os.path.getmtime(shared) >= os.path.getmtime(archive)):
        return shared
    if not os.path.exists(archive):
        raise TesseraError(f"no Tessera runtime library: neither {shared} nor {archive}")
    with open(archive, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    out_dir = os.path.join(cache_dir, "runtime")
    out = os.path.join(out_dir, f"libtessera_runtime-{digest}.so")
    if not os.path.exists(out):
        os.makedirs(out_dir, exist_ok=True)
        for old in os.listdir(out_dir):
            os.unlink(os.path.join(out_dir, old))
        cc = shutil.which("clang-22") or shutil.which("cc")
        tmp = out + ".tmp"
        subprocess.run(
            [cc, "-shared", "-fuse-ld=lld" if "clang" in cc else "-fuse-ld=bfd", "-o", tmp,
             "-Wl,--whole-archive", archive, "-Wl,--no-whole-archive",
             "-Wl,--version-script=" + os.path.join(root, "runtime", "src", "exports.map"),
             "-lstdc++", "-ldl", "-lpthread", "-lm"], check=True)
        os.replace(tmp, out)
    return out


class Runtime:
    def __init__(self, lib_path):
        self.path = lib_path
        lib = ctypes.CDLL(lib_path)
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        lib.tsr_status_message.restype = ctypes.c_char_p
        lib.tsr_status_message.argtypes = [vp]
        lib.tsr_status_free.argtypes = [vp]
        lib.tsr_model_load.restype = vp
        lib.tsr_model_load.argtypes = [ctypes.c_char_p, vp, ctypes.POINTER(vp)]
        lib.tsr_model_release.argtypes = [vp]
        lib.tsr_model_num_inputs.restype = sz
        lib.tsr_model_num_inputs.argtypes = [vp]
        lib.tsr_model_num_outputs.restype = sz
        lib.tsr_model_num_outputs.argtypes = [vp]
        for fn in (lib.tsr_model_input_info, lib.tsr_model_output_info):
            fn.restype = vp
            fn.argtypes = [vp, sz, ctypes.POINTER(TensorInfo)]
        lib.tsr_session_options_init.argtypes = [ctypes.POINTER(SessionOptions)]
        lib.tsr_session_create.restype = vp
        lib.tsr_session_create.argtypes = [vp, ctypes.POINTER(SessionOptions), ctypes.POINTER(vp)]
        lib.tsr_session_release.argtypes = [vp]
        lib.tsr_session_run.restype = vp
        lib.tsr_session_run.argtypes = [vp, ctypes.POINTER(TensorView), sz,
                                        ctypes.POINTER(TensorView), sz]
        self.lib = lib

    def check(self, status, what):
        if status:
            msg = self.lib.tsr_status_message(status).decode(errors="replace")
            self.lib.tsr_status_free(status)
            raise TesseraError(f"{what}: {msg}")


class Session:
    """A loaded model plus one session. `run()` is the timed call; inputs are
    bound once (numpy views, no copies) by `bind()`."""

    def __init__(self, rt, model_tsr, num_threads):
        self.rt = rt
        lib = rt.lib
        self.model = ctypes.c_void_p()
        rt.check(lib.tsr_model_load(model_tsr.encode(), None, ctypes.byref(self.model)),
                 f"tsr_model_load({model_tsr})")
        self.session = ctypes.c_void_p()
        opts = SessionOptions()
        lib.tsr_session_options_init(ctypes.byref(opts))
        opts.num_threads = num_threads
        try:
            rt.check(lib.tsr_session_create(self.model, ctypes.byref(opts),
                                            ctypes.byref(self.session)), "tsr_session_create")
        except Exception:
            lib.tsr_model_release(self.model)
            raise
        self.input_names = []
        for i in range(lib.tsr_model_num_inputs(self.model)):
            info = TensorInfo()
            rt.check(lib.tsr_model_input_info(self.model, i, ctypes.byref(info)), "input_info")
            self.input_names.append(info.name.decode())
        self.output_names = []
        for i in range(lib.tsr_model_num_outputs(self.model)):
            info = TensorInfo()
            rt.check(lib.tsr_model_output_info(self.model, i, ctypes.byref(info)), "output_info")
            self.output_names.append(info.name.decode())
        self.n_out = len(self.output_names)
        self.outputs = (TensorView * max(1, self.n_out))()
        self._keep = []
        self.bound_outputs = None

    def bind(self, feeds):
        """Binds inputs (a dict name -> array) in signature order."""
        self._keep = []
        self.inputs = (TensorView * max(1, len(self.input_names)))()
        for i, name in enumerate(self.input_names):
            arr = np.ascontiguousarray(feeds[name])
            self._keep.append(arr)
            v = self.inputs[i]
            v.dtype = _NP_TO_TSR[arr.dtype]
            v.rank = arr.ndim
            for d, s in enumerate(arr.shape):
                v.shape[d] = s
            v.data = arr.ctypes.data
            v.byte_size = arr.nbytes
        self.n_in = len(self.input_names)

    def bind_outputs(self, arrays):
        """Makes the runs write into caller-owned arrays (a dict name ->
        C-contiguous array of the output's dtype and shape) instead of
        session-owned buffers; None goes back to session-owned outputs."""
        self.bound_outputs = arrays
        ctypes.memset(self.outputs, 0, ctypes.sizeof(self.outputs))
        if arrays is None:
            return
        for i, name in enumerate(self.output_names):
            arr = arrays[name]
            if not arr.flags["C_CONTIGUOUS"]:
                raise TesseraError(f"output '{name}': the array must be C-contiguous")
            v = self.outputs[i]
            v.dtype = _NP_TO_TSR[arr.dtype]
            v.rank = arr.ndim
            for d, n in enumerate(arr.shape):
                v.shape[d] = n
            v.data = arr.ctypes.data
            v.byte_size = arr.nbytes

    def run(self):
        """One tsr_session_run, into the arrays of bind_outputs() or else
        session-owned outputs; returns seconds."""
        if self.bound_outputs is None:
            ctypes.memset(self.outputs, 0, ctypes.sizeof(self.outputs))  # data NULL: session-owned
        lib = self.rt.lib
        t0 = _perf_counter()
        status = lib.tsr_session_run(self.session, self.inputs, self.n_in, self.outputs, self.n_out)
        t = _perf_counter() - t0
        self.rt.check(status, "tsr_session_run")
        return t

    def fetch_outputs(self):
        """Copies of the last run's outputs, {name: array}."""
        out = {}
        for i, name in enumerate(self.output_names):
            v = self.outputs[i]
            shape = tuple(v.shape[d] for d in range(v.rank))
            dt = np.dtype(_DTYPES[v.dtype])
            n = int(np.prod(shape)) if shape else 1
            buf = (ctypes.c_char * (n * dt.itemsize)).from_address(v.data)
            out[name] = np.frombuffer(buf, dtype=dt).reshape(shape).copy()
        return out

    def close(self):
        if self.session:
            self.rt.lib.tsr_session_release(self.session)
            self.session = ctypes.c_void_p()
        if self.model:
            self.rt.lib.tsr_model_release(self.model)
            self.model = ctypes.c_void_p()
