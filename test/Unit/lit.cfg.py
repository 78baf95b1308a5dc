# -*- Python -*-
# The GoogleTest sub-suite: every test of the runtime's gtest binary
# (<build>/test/runtime/tessera-runtime-tests) becomes one lit test.

import os

import lit.formats

config.name = "Tessera-Unit"
config.suffixes = []

config.test_exec_root = os.path.join(config.tessera_obj_root, "test", "runtime")
config.test_source_root = config.test_exec_root

# GoogleTest picks executables whose name ends in test_suffix; the full name
# matches exactly the one binary (and not libtest_entry.so beside it).
config.test_format = lit.formats.GoogleTest(".", "tessera-runtime-tests")
