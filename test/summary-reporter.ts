import type { Reporter, TestModule } from 'vitest/node';

type RunEnd = Parameters<NonNullable<Reporter['onTestRunEnd']>>;

/**
 * Ends the run with one plain line, "Tests: N passed, N failed, N skipped", so the outcome of the
 * whole multi-project suite reads the same in a terminal and to CI. A file that failed to load and
 * an error outside any test each count as one failure, and a run that failed with nothing counted
 * (a failed global set-up, say) shows one, so a broken run never reads "0 failed".
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: RunEnd[1],
    reason: RunEnd[2],
  ): void {
    const counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      for (const test of tests) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      if (module.state() === 'failed' && tests.length === 0) counts.failed++;
    }
    if (reason === 'failed' && counts.failed === 0) counts.failed = 1;
    console.log(
      `\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
    );
  }
}
