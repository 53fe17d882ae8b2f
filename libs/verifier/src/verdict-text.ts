import type { BundleProblem, BundleVerdict } from './bundle.ts';

/** Where a problem is, in words: stream, version and event when known. */
export function locate(problem: BundleProblem): string {
  const parts = [
    problem.streamId,
    problem.streamVersion === undefined ? undefined : `version ${problem.streamVersion}`,
    problem.eventId === undefined ? undefined : `event ${problem.eventId}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? '' : `${parts.join(', ')}: `;
}

/** The verdict as lines of plain text: the answer first, then the first broken link, then what was checked. */
export function verdictLines(verdict: BundleVerdict): string[] {
  const subject = verdict.subject ? `${verdict.subject.kind} ${verdict.subject.id}` : 'the bundle';
  const lines = [verdict.ok ? `VERIFIED: ${subject}` : `NOT VERIFIED: ${subject}`];
  if (verdict.firstProblem) {
    const { firstProblem } = verdict;
    lines.push(
      `first broken link (${firstProblem.check}): ${locate(firstProblem)}${firstProblem.detail}`,
    );
    for (const problem of verdict.problems.slice(1, 20))
      lines.push(`  also (${problem.check}): ${locate(problem)}${problem.detail}`);
    if (verdict.problems.length > 20) lines.push(`  … and ${verdict.problems.length - 20} more`);
  }
  lines.push('checked:');
  for (const line of verdict.checked) lines.push(`  ✓ ${line}`);
  lines.push('not established by this verification:');
  for (const line of verdict.notChecked) lines.push(`  – ${line}`);
  return lines;
}
