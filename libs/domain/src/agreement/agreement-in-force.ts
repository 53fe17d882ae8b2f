import type { AgreementVersion } from '../events/agreement-events.ts';
import { toMillis } from '../shared/time.ts';
import type { Instant } from '../shared/vocabulary.ts';

/**
 * The agreement version that applied at an instant: the highest version whose `effectiveFrom`
 * is at or before `at`; none before the first version takes effect or from the termination on.
 */
export function agreementInForce(
  agreementVersions: readonly AgreementVersion[],
  at: Instant,
  terminatedAt?: Instant,
): AgreementVersion | undefined {
  const instant = toMillis(at, 'at');
  if (terminatedAt !== undefined && instant >= toMillis(terminatedAt, 'terminatedAt')) {
    return undefined;
  }
  let inForce: AgreementVersion | undefined;
  for (const version of agreementVersions) {
    if (toMillis(version.effectiveFrom, 'effectiveFrom') > instant) continue;
    if (inForce === undefined || version.version > inForce.version) inForce = version;
  }
  return inForce;
}
