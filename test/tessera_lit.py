# -*- Python -*-
# What Tessera's lit configurations share so that no suite can silently not
# run: a per-test timeout (a hang is a failure, not a stalled CI) and a
# GoogleTest format that runs an explicit list of test binaries (a binary
# that was not built, or one that nobody listed, is a failing test, not a
# missing line in the summary).
#
# Used by test/lit.cfg.py, test/Unit/lit.cfg.py and the harness self-tests
# in test/harness/Inputs, which check both behaviours on purpose-made
# suites.

import os

import lit.formats
import lit.Test

# Seconds one lit test (one GoogleTest shard) may run. The slowest test
# (the ONNX node-suite subset) takes about 12 s on the project's 2-core
# machine (`lit --time-tests`); 25 times that is a hang, not a slow machine.
DEFAULT_TIMEOUT_S = 300


def set_test_timeout(lit_config):
    """Sets lit's per-test timeout unless the command line (--timeout) did.
    `--param tessera_timeout=S` or $TESSERA_LIT_TIMEOUT override the
    default; 0 turns it off. lit needs psutil to kill a timed-out test's
    process tree: without it the configuration is an error, never a suite
    without timeouts."""
    if lit_config.maxIndividualTestTime:
        return
    value = lit_config.params.get("tessera_timeout",
                                  os.environ.get("TESSERA_LIT_TIMEOUT",
                                                 str(DEFAULT_TIMEOUT_S)))
    try:
        seconds = int(value)
    except ValueError:
        lit_config.fatal(f"tessera_timeout must be a whole number of seconds, got '{value}'")
    if seconds <= 0:
        return
    supported, why = lit_config.maxIndividualTestTimeIsSupported
    if not supported:
        lit_config.fatal(f"per-test timeouts are not supported here ({why}); "
                         "scripts/setup.sh installs python3-psutil")
    lit_config.maxIndividualTestTime = seconds


class ExpectedGoogleTests(lit.formats.GoogleTest):
    """lit's GoogleTest format over an explicit list of binaries (paths
    relative to the suite's exec root). A listed binary that does not exist
    becomes one failing test naming it; an executable in the listed
    directories whose name ends in the suffix but is not listed becomes one
    failing test too, so a new test binary cannot run unaccounted for and a
    deleted one cannot vanish. With `built` (the binaries the build's
    targets make, from CMake), a listed binary no target makes is failing
    too: a stale leftover of an old build must not run in its place."""

    MISSING = "missing_test_binary"
    UNLISTED = "unlisted_test_binary"
    STALE = "stale_test_binary"

    def __init__(self, binaries, test_suffix, built=None):
        self.expected = [os.path.normpath(b) for b in binaries]
        self.built = None if built is None else {os.path.normpath(b) for b in built}
        dirs = sorted({os.path.dirname(b) for b in self.expected})
        super().__init__(";".join(dirs), test_suffix)

    def getTestsInDirectory(self, testSuite, path_in_suite, litConfig, localConfig):
        # lit asks again for every subdirectory; the list is relative to the
        # suite's root and is looked at there only.
        if path_in_suite:
            return
        source_path = testSuite.getSourcePath(path_in_suite)
        stale = set()
        for rel in self.expected:
            exists = os.path.isfile(os.path.join(source_path, rel))
            if not exists:
                stale.add(rel)
                yield self._failing(testSuite, path_in_suite, localConfig, rel, self.MISSING)
            elif self.built is not None and rel not in self.built:
                stale.add(rel)
                yield self._failing(testSuite, path_in_suite, localConfig, rel, self.STALE)
        expected, unlisted = set(self.expected) - stale, stale
        for test in super().getTestsInDirectory(testSuite, path_in_suite, litConfig,
                                                localConfig):
            rel = os.path.relpath(test.file_path, source_path)
            if rel in expected:
                yield test
            elif rel not in unlisted:  # one failing test per binary, not per shard
                unlisted.add(rel)
                yield self._failing(testSuite, path_in_suite, localConfig, rel, self.UNLISTED)

    def _failing(self, testSuite, path_in_suite, localConfig, rel, why):
        test = lit.Test.Test(testSuite, path_in_suite + tuple(rel.split(os.sep)) + (why,),
                             localConfig, file_path=os.path.join(testSuite.exec_root, rel))
        test.tessera_problem = (rel, why)
        return test

    def execute(self, test, litConfig):
        problem = getattr(test, "tessera_problem", None)
        if problem is None:
            return super().execute(test, litConfig)
        rel, why = problem
        if why == self.MISSING:
            if self.built is not None and rel not in self.built:
                return lit.Test.FAIL, (f"expected GoogleTest binary {rel} does not exist, and "
                                       "no target of this build makes it")
            return lit.Test.FAIL, (f"expected GoogleTest binary {rel} does not exist: build "
                                   "every target (scripts/build.sh with no target builds all)")
        if why == self.STALE:
            return lit.Test.FAIL, (f"GoogleTest binary {rel} is listed but no target of this "
                                   "build makes it (tessera_unittest in CMake): a stale binary "
                                   "must not run in its place")
        return lit.Test.FAIL, (f"GoogleTest binary {rel} is not in the suite's list of test "
                               "binaries (test/Unit/lit.cfg.py): add it there")
