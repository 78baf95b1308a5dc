# -*- Python -*-
# The GoogleTest sub-suite: every test of the gtest binaries becomes one lit
# test: the runtime's (<build>/test/runtime/tessera-runtime-tests) and the
# safetensors reader's (<build>/test/frontends/safetensors/...).

import os

import lit.formats

config.name = "Tessera-Unit"
config.suffixes = []

config.test_exec_root = os.path.join(config.tessera_obj_root, "test")
config.test_source_root = config.test_exec_root

# GoogleTest picks executables whose name ends in test_suffix in the listed
# directories: "-tests" matches the test binaries and not libtest_entry.so
# beside them.
config.test_format = lit.formats.GoogleTest(
    "runtime;frontends/safetensors", "-tests")
