#!/usr/bin/env python3
"""Negative tests for tessera-compile and tessera-run: bad files and bad inputs
must give a clean error, never a crash.

  bad_inputs.py --tessera-compile PATH --tessera-run PATH --workdir DIR [--case NAME ...]

Each case runs one tool and asserts that
  * it exits with a code > 0 (a negative code means it was killed by a signal:
    a crash, which fails the case),
  * stderr carries the CLI's error prefix (`tessera-compile: error:` or
    `tessera-run: error:`),
  * stderr contains the expected key words (case-insensitive; for each group,
    any one alternative suffices) -- lenient on purpose, the exact wording
    belongs to the C++ side.
Prints `bad-input CASE: PASS|FAIL (...)` per case and exits 1 on any failure.
"""

import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

# Alternatives that say "this file is not a valid model/artifact".
BAD_FILE = ["truncat", "corrupt", "invalid", "malformed", "parse", "failed to load",
            "cannot load", "could not load", "verif", "checksum", "mismatch", "bad "]


class Case:
    """One negative test: which tool, its arguments, and the stderr key words.

    `expect` is a list of groups; every group must match, a group matches if
    any of its alternatives is a (case-insensitive) substring of stderr."""

    def __init__(self, name, tool, argv, expect):
        self.name, self.tool, self.argv, self.expect = name, tool, argv, expect


def check(case, tools, timeout):
    exe = tools[case.tool]
    cmd = [exe] + case.argv
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=timeout)
    except OSError as e:
        return False, f"cannot execute {exe}: {e}"
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout}s"
    err = p.stderr.lower()
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "<empty stderr>"
    if p.returncode < 0:
        return False, f"killed by signal {-p.returncode}; stderr: {last}"
    if p.returncode == 0:
        return False, "exit code 0 (expected an error)"
    prefix = f"{case.tool}: error:"
    if prefix not in err:
        return False, f"exit {p.returncode} but stderr lacks '{prefix}': {last}"
    for group in case.expect:
        if not any(alt.lower() in err for alt in group):
            return False, f"exit {p.returncode}; stderr lacks any of {group}: {last}"
    return True, f"exit {p.returncode}: {last}"


# -- file makers --------------------------------------------------------------

def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def unsupported_standard_op_model():
    """A valid opset-17 model whose only real node is NonMaxSuppression."""
    node = helper.make_node("NonMaxSuppression", ["boxes", "scores", "max_out"], ["selected"],
                            name="/detector/nms_node")
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["max_out"], name="/detector/Constant",
                          value=helper.make_tensor("", TensorProto.INT64, [1], [2])),
         node],
        "nms",
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 4, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, 4])],
        [helper.make_tensor_value_info("selected", TensorProto.INT64, ["n", 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", models.OPSET)],
                              ir_version=models.IR_VERSION)
    onnx.checker.check_model(model, full_check=True)
    return model


def custom_domain_op_model():
    """mlp with its GELU replaced by a custom-domain op, as a model exported with
    a custom symbolic would have it."""
    model = models.mlp()
    g = model.graph
    gemm = next(n for n in g.node if n.op_type == "Gemm")
    fc2 = next(n for n in g.node if n.op_type == "MatMul")
    fancy = helper.make_node("FancyGelu", [gemm.output[0]], [fc2.input[0]],
                             name="/act/fancy_gelu_node", domain="com.example.custom")
    keep = [n for n in g.node if not n.name.startswith("/act/")]  # drop the GELU web
    keep.insert(keep.index(fc2), fancy)
    del g.node[:]
    g.node.extend(keep)
    model.opset_import.append(helper.make_opsetid("com.example.custom", 1))
    onnx.checker.check_model(model)
    return model


def _const(name, value):
    return helper.make_node("Constant", [], [name], name=name,
                            value=numpy_helper.from_array(np.array(value, np.int64), name=""))


def _model(nodes, name, inputs, outputs, initializer=(), full_check=True):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializer))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", models.OPSET)],
                              ir_version=models.IR_VERSION)
    onnx.checker.check_model(model, full_check=full_check)
    return model


def conv_padding_model():
    """A padded Conv (kernel 8, stride 8, pads 1 on every side) over an image
    of run-time height and width: Conv needs static spatial dims unless it is
    a non-overlapping patch Conv."""
    return _model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="/patch/conv_node",
                          kernel_shape=[8, 8], strides=[8, 8], pads=[1, 1, 1, 1])],
        "conv_pad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "H", "W"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, None, None])],
        initializer=[numpy_helper.from_array(np.zeros((16, 3, 8, 8), np.float32), name="w")])


def range_dynamic_model():
    """arange(0, x.size(1), x.size(1)): a Range whose step is only known at
    run time (a run-time start or limit is supported, a run-time delta not)."""
    return _model(
        [_const("zero", 0), _const("one", 1), _const("idx", 1),
         helper.make_node("Shape", ["x"], ["shape"], name="/pos/Shape"),
         helper.make_node("Gather", ["shape", "idx"], ["n"], name="/pos/Gather", axis=0),
         helper.make_node("Range", ["zero", "n", "n"], ["pos"], name="/pos/range_node"),
         helper.make_node("Cast", ["pos"], ["posf"], name="/pos/Cast", to=TensorProto.FLOAT),
         helper.make_node("Add", ["x", "posf"], ["y"], name="/pos/Add")],
        "range_dyn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq"])])


def cumsum_axis_input_model():
    """CumSum whose axis is a graph input: only known at run time."""
    return _model(
        [helper.make_node("CumSum", ["x", "axis"], ["y"], name="/pos/cumsum_node")],
        "cumsum_axis",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8]),
         helper.make_tensor_value_info("axis", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])])


def trilu_k_input_model():
    """Trilu whose diagonal offset k is a graph input: only known at run time."""
    return _model(
        [helper.make_node("Trilu", ["x", "k"], ["y"], name="/mask/trilu_node", upper=1)],
        "trilu_k",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 8]),
         helper.make_tensor_value_info("k", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, 8])])


def split_sizes_model():
    """GPT-2's fused QKV Split with sizes [8, 8, 4] that add up to 20 on a dim
    of 24. onnx's shape inference rejects it too, so no full check."""
    return _model(
        [_const("sizes", [8, 8, 4]),
         helper.make_node("Split", ["x", "sizes"], ["q", "k", "v"], name="/attn/split_node",
                          axis=1)],
        "split_bad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 24])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, None]) for n in "qkv"],
        full_check=False)


def empty_required_input_model():
    """Add whose first (required) input is omitted (""): onnx's checker
    rejects it, so it is not run; the converters must not index a missing
    operand."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["", "x"], ["y"], name="/res/add_node")], "empty_input",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", models.OPSET)],
                             ir_version=models.IR_VERSION)


def no_inputs_model():
    """A Softmax with no inputs at all, at opset 21 (newer than the schemas
    libonnx describes, so the minimum counts are checked there too)."""
    graph = helper.make_graph(
        [helper.make_node("Softmax", [], ["y"], name="/attn/softmax_node")], "no_inputs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)],
                             ir_version=models.IR_VERSION)


def concat_mismatch_model():
    """Concat along axis 0 of [2, 11] and [1, 3]: the other dim differs
    (found by the ONNX fuzz target; the importer built IR that did not
    verify)."""
    graph = helper.make_graph(
        [helper.make_node("Concat", ["x", "b"], ["y"], name="/emb/concat_node", axis=0)],
        "concat_mismatch",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 11])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[helper.make_tensor("b", TensorProto.FLOAT, [1, 3], [0.5, 1.0, 1.5])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", models.OPSET)],
                             ir_version=models.IR_VERSION)


def compile_good_model(compiler, model, out_dir, timeout):
    """Compiles the model the run-time cases use; returns None or why it failed."""
    why = "prerequisite failed: tessera-compile of mlp.onnx: "
    try:
        c = subprocess.run([compiler, model, "-o", out_dir, "--target=cpu"],
                           capture_output=True, text=True, errors="replace", timeout=timeout)
    except OSError as e:
        return why + f"cannot execute {compiler}: {e}"
    except subprocess.TimeoutExpired:
        return why + f"timed out after {timeout}s"
    if c.returncode != 0:
        last = c.stderr.strip().splitlines()[-1] if c.stderr.strip() else "<empty stderr>"
        return why + f"exit {c.returncode}: {last}"
    if not os.path.isfile(os.path.join(out_dir, "model.tsr")):
        return why + f"no model.tsr in {out_dir}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tessera-compile", required=True, help="path of tessera-compile")
    ap.add_argument("--tessera-run", required=True, help="path of tessera-run")
    ap.add_argument("--workdir", required=True, help="scratch directory (created)")
    ap.add_argument("--case", action="append", help="run only these cases (repeatable)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per tool invocation")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # keep FAIL lines next to tool stderr
    tools = {"tessera-compile": args.tessera_compile, "tessera-run": args.tessera_run}
    wd = os.path.abspath(args.workdir)
    os.makedirs(wd, exist_ok=True)

    def p(*names):
        return os.path.join(wd, *names)

    # -- compile-time cases ---------------------------------------------------
    onnx.save(models.mlp(), p("mlp.onnx"))
    mlp_bytes = open(p("mlp.onnx"), "rb").read()
    missing = p("does_not_exist.onnx")
    if os.path.exists(missing):
        os.remove(missing)
    write_bytes(p("empty.onnx"), b"")
    write_bytes(p("truncated.onnx"), mlp_bytes[: int(len(mlp_bytes) * 0.6)])
    write_bytes(p("garbage.onnx"), np.random.default_rng(7).bytes(4096))
    onnx.save(unsupported_standard_op_model(), p("nms.onnx"))
    onnx.save(custom_domain_op_model(), p("custom_op.onnx"))
    onnx.save(empty_required_input_model(), p("empty_input.onnx"))
    onnx.save(no_inputs_model(), p("no_inputs.onnx"))
    onnx.save(conv_padding_model(), p("conv_pad.onnx"))
    onnx.save(range_dynamic_model(), p("range_dyn.onnx"))
    onnx.save(split_sizes_model(), p("split_bad.onnx"))
    onnx.save(cumsum_axis_input_model(), p("cumsum_axis.onnx"))
    onnx.save(trilu_k_input_model(), p("trilu_k.onnx"))
    onnx.save(concat_mismatch_model(), p("concat_mismatch.onnx"))

    def compile_case(name, model, expect):
        return Case(name, "tessera-compile", [model, "-o", p(f"{name}.out")], expect)

    # An empty file parses as an empty ModelProto (protobuf allows it), so the
    # compiler must notice the missing graph rather than a parse error.
    empty_words = BAD_FILE + ["empty", "no graph", "missing graph", "has no", "no nodes",
                              "no outputs", "no inputs"]
    cases = [
        compile_case("missing_model", missing,
                     [[missing, "does_not_exist.onnx"]]),
        compile_case("empty_file", p("empty.onnx"), [empty_words]),
        compile_case("truncated_onnx", p("truncated.onnx"), [BAD_FILE]),
        compile_case("garbage_onnx", p("garbage.onnx"), [BAD_FILE]),
        compile_case("unsupported_op", p("nms.onnx"),
                     [["/detector/nms_node", "nms_node"], ["NonMaxSuppression"], ["unsupported"]]),
        compile_case("custom_domain_op", p("custom_op.onnx"),
                     [["/act/fancy_gelu_node", "fancy_gelu_node"], ["FancyGelu"],
                      ["unsupported"]]),
        compile_case("conv_padding", p("conv_pad.onnx"),
                     [["/patch/conv_node", "conv_node"], ["Conv"], ["unsupported"]]),
        compile_case("range_dynamic", p("range_dyn.onnx"),
                     [["/pos/range_node", "range_node"], ["Range"], ["delta"]]),
        compile_case("split_sizes", p("split_bad.onnx"),
                     [["/attn/split_node", "split_node"], ["split"]]),
        compile_case("cumsum_axis_runtime", p("cumsum_axis.onnx"),
                     [["/pos/cumsum_node", "cumsum_node"], ["CumSum"], ["compile time"]]),
        compile_case("trilu_k_runtime", p("trilu_k.onnx"),
                     [["/mask/trilu_node", "trilu_node"], ["Trilu"], ["compile time"]]),
        compile_case("empty_required_input", p("empty_input.onnx"),
                     [["/res/add_node", "add_node"], ["input 0"], ["required"]]),
        compile_case("no_inputs", p("no_inputs.onnx"),
                     [["/attn/softmax_node", "softmax_node"], ["Softmax"], ["inputs"]]),
        compile_case("concat_mismatch", p("concat_mismatch.onnx"),
                     [["/emb/concat_node", "concat_node"], ["Concat"], ["dim 1"]]),
    ]

    # -- run-time cases (need a good compiled mlp) -------------------------------
    good = p("mlp.out")
    shutil.rmtree(good, ignore_errors=True)
    prereq = compile_good_model(args.tessera_compile, p("mlp.onnx"), good, args.timeout)

    x = models.make_inputs("mlp")["x"]                  # float32 [2, 16]
    np.save(p("x.npy"), x)
    np.save(p("x_int64.npy"), x.astype(np.int64))
    np.save(p("x_rank3.npy"), x.reshape(2, 16, 1))
    np.save(p("x_dim.npy"), np.zeros((2, 17), np.float32))
    np.save(p("x_full.npy"), x)
    full = open(p("x_full.npy"), "rb").read()
    write_bytes(p("x_truncated.npy"), full[: len(full) - 40])  # header intact, data short
    os.remove(p("x_full.npy"))

    def run_case(name, inputs, expect, out_dir=good):
        argv = [out_dir]
        for k, v in inputs:
            argv += ["--input", f"{k}={v}"]
        argv += ["--output-dir", p(f"{name}.results")]
        return Case(name, "tessera-run", argv, expect)

    if prereq is None:
        size = os.path.getsize(os.path.join(good, "model.tsr"))
        # A copy of the output dir with model.tsr cut to half its size.
        shutil.rmtree(p("mlp_trunc.out"), ignore_errors=True)
        shutil.copytree(good, p("mlp_trunc.out"))
        with open(p("mlp_trunc.out", "model.tsr"), "r+b") as f:
            f.truncate(size // 2)
        # Copies with 64 bytes inverted: in the middle of the file (most likely
        # weight data, which only a checksum catches) and near the start (the
        # FlatBuffers root offset, identifier and tables, which the verifier catches).
        for tag, at in (("mid", size // 2 - 32), ("head", 0)):
            d = p(f"mlp_corrupt_{tag}.out")
            shutil.rmtree(d, ignore_errors=True)
            shutil.copytree(good, d)
            with open(os.path.join(d, "model.tsr"), "r+b") as f:
                f.seek(max(at, 0))
                chunk = f.read(64)
                f.seek(max(at, 0))
                f.write(bytes(b ^ 0xFF for b in chunk))

    run_cases = [
        run_case("wrong_input_name", [("not_an_input", p("x.npy"))], [["not_an_input"]]),
        run_case("wrong_dtype", [("x", p("x_int64.npy"))],
                 [["dtype", "data type", "element type"]]),
        run_case("wrong_rank", [("x", p("x_rank3.npy"))], [["rank"]]),
        run_case("wrong_dim", [("x", p("x_dim.npy"))], [["dim", "shape"], ["17", "16"]]),
        run_case("truncated_npy", [("x", p("x_truncated.npy"))],
                 [BAD_FILE + ["short", "size", "x_truncated.npy"]]),
        run_case("truncated_tsr", [("x", p("x.npy"))], [BAD_FILE + ["model.tsr"]],
                 out_dir=p("mlp_trunc.out")),
        run_case("corrupted_tsr_mid", [("x", p("x.npy"))], [BAD_FILE],
                 out_dir=p("mlp_corrupt_mid.out")),
        run_case("corrupted_tsr_head", [("x", p("x.npy"))], [BAD_FILE],
                 out_dir=p("mlp_corrupt_head.out")),
    ]

    # -- out-of-range indices (need a good compiled bert2) ----------------------
    # Token ids past the vocabulary (100) fail the run, naming the Gather node
    # and the input, instead of embedding a clamped id.
    onnx.save(models.bert2(), p("bert2.onnx"))
    bert = p("bert2.out")
    shutil.rmtree(bert, ignore_errors=True)
    bert_prereq = compile_good_model(args.tessera_compile, p("bert2.onnx"), bert,
                                     args.timeout)
    feeds = models.make_inputs("bert2")
    np.save(p("mask.npy"), feeds["attention_mask"])
    for tag, bad in (("past_vocab", 100), ("negative", -101), ("huge", 2**40)):
        ids = feeds["input_ids"].copy()
        ids[0, 1] = bad
        np.save(p(f"ids_{tag}.npy"), ids)
    index_cases = [
        run_case(f"token_id_{tag}",
                 [("input_ids", p(f"ids_{tag}.npy")), ("attention_mask", p("mask.npy"))],
                 [["Gather"], ["input 'input_ids'"], [str(bad)], ["out of range"],
                  ["size 100"]], out_dir=bert)
        for tag, bad in (("past_vocab", 100), ("negative", -101), ("huge", 2**40))
    ]

    # GatherElements and GatherND decompose into gathers over computed
    # indices: a component out of its dim must fail too (GatherND's [0, 3]
    # into [2, 3, 4] would otherwise read row 1, in range once linearized).
    def index_model(op, data_shape, idx_shape, attrs):
        data = numpy_helper.from_array(
            np.arange(np.prod(data_shape), dtype=np.float32).reshape(data_shape), "data")
        node = helper.make_node(op, ["data", "idx"], ["y"], name=f"{op.lower()}_node", **attrs)
        graph = helper.make_graph(
            [node], op.lower(), [helper.make_tensor_value_info("idx", TensorProto.INT64, idx_shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=[data])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", models.OPSET)],
                                 ir_version=models.IR_VERSION)

    for op, data_shape, idx, attrs in (
            ("GatherElements", [3, 4], [[0, 4], [1, 2], [3, 0]], {"axis": 1}),
            ("GatherND", [2, 3, 4], [[0, 3], [1, 1]], {})):
        onnx.save(index_model(op, data_shape, list(np.shape(idx)), attrs), p(f"{op}.onnx"))
        d = p(f"{op}.out")
        shutil.rmtree(d, ignore_errors=True)
        why = compile_good_model(args.tessera_compile, p(f"{op}.onnx"), d, args.timeout)
        np.save(p(f"{op}_idx.npy"), np.array(idx, dtype=np.int64))
        case = run_case(f"{op}_index", [("idx", p(f"{op}_idx.npy"))],
                        [[f"{op.lower()}_node"], ["input 'idx'"],
                         ["index 4 ", "index 3 "], ["out of range"]], out_dir=d)
        index_cases.append(case)
        if why:
            bert_prereq = bert_prereq or why

    selected = set(args.case or [])
    known = {c.name for c in cases + run_cases + index_cases}
    if selected - known:
        ap.error(f"unknown case(s) {sorted(selected - known)}; known: {sorted(known)}")

    failures = 0
    for case in cases + run_cases + index_cases:
        if selected and case.name not in selected:
            continue
        if case in run_cases and prereq:
            ok, msg = False, prereq
        elif case in index_cases and bert_prereq:
            ok, msg = False, bert_prereq
        else:
            ok, msg = check(case, tools, args.timeout)
        print(f"bad-input {case.name}: {'PASS' if ok else 'FAIL'} ({msg})")
        failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
