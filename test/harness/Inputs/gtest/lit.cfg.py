# -*- Python -*-
# A GoogleTest suite of fake test binaries (Python scripts, which lit's
# GoogleTest format runs through the interpreter), listed the way
# test/Unit/lit.cfg.py lists the real ones: one passes, one hangs, one is
# listed but was never built, one was built but is not listed, and one is
# listed and present but no target of the build makes it (stale).
import os
import sys

config.name = "gtest-suite"
config.test_source_root = config.test_exec_root = os.path.dirname(__file__)

sys.path.insert(0, lit_config.params["tessera_test_src"])
import tessera_lit

tessera_lit.set_test_timeout(lit_config)
config.test_format = tessera_lit.ExpectedGoogleTests(
    ["bin/passes-tests.py", "bin/hangs-tests.py", "bin/never-built-tests.py",
     "bin/stale-tests.py"], "-tests",
    built=["bin/passes-tests.py", "bin/hangs-tests.py", "bin/never-built-tests.py",
           "bin/unlisted-tests.py"])
