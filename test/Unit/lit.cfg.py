# -*- Python -*-
# The GoogleTest sub-suite: every test of the gtest binaries becomes one lit
# test. The binaries are listed here, not discovered: a listed binary that was
# not built fails the suite, and so does a "-tests" binary nobody listed
# (test/tessera_lit.py).

import os
import sys

config.name = "Tessera-Unit"
config.suffixes = []

config.test_exec_root = os.path.join(config.tessera_obj_root, "test")
config.test_source_root = config.test_exec_root

sys.path.insert(0, os.path.join(config.tessera_src_root, "test"))
import tessera_lit

tessera_lit.set_test_timeout(lit_config)

# Paths relative to <build>/test. "-tests" matches the test binaries and not
# libtest_entry.so beside them.
# The build's own list (tessera_unittest() in CMake) catches a listed
# binary whose target was removed but whose file an old build left behind.
config.test_format = tessera_lit.ExpectedGoogleTests(
    ["runtime/tessera-runtime-tests",
     "frontends/safetensors/tessera-safetensors-tests"],
    "-tests", built=config.tessera_built_unittests)
