# -*- Python -*-
# A suite with one test that hangs, configured by the same code as Tessera's
# suites (test/tessera_lit.py, found through --param tessera_test_src).
import sys

import lit.formats

config.name = "hang-suite"
config.suffixes = [".test"]
config.test_format = lit.formats.ShTest(True)
config.test_source_root = config.test_exec_root = __import__("os").path.dirname(__file__)

sys.path.insert(0, lit_config.params["tessera_test_src"])
import tessera_lit

tessera_lit.set_test_timeout(lit_config)
