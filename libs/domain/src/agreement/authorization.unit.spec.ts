import { eventTypes } from '@concord/contract';
import { describe, expect, it } from 'vitest';
import { activities } from '../shared/vocabulary.ts';
import { PLATFORM_ORGANIZATION_ID } from '../shared/command.ts';
import {
  agreementV1,
  AGREEMENT,
  CDMO,
  OTHER_CDMO,
  PRODUCT,
  SPONSOR,
} from '../test-support/fixtures.ts';
import {
  activityByEventType,
  activityOf,
  authorize,
  platformEventTypes,
  responsibleParty,
} from './authorization.ts';

const subject = { agreementId: AGREEMENT, productId: PRODUCT, sponsorId: SPONSOR, cdmoId: CDMO };

function codeOf(result: ReturnType<typeof authorize>): string {
  return result.allowed ? 'allowed' : result.error.code;
}

describe('responsibleParty', () => {
  it('names the party the agreement assigns an activity to', () => {
    expect(responsibleParty(agreementV1, 'manufacturing')?.performedBy).toBe('cdmo');
    expect(responsibleParty(agreementV1, 'qp-certification')?.performedBy).toBe('sponsor');
    expect(
      responsibleParty({ ...agreementV1, responsibilities: [] }, 'manufacturing'),
    ).toBeUndefined();
  });
});

describe('authorize', () => {
  it('allows the responsible party for its own batch', () => {
    expect(authorize('concord.batch.manufacturing-started.v1', CDMO, agreementV1, subject)).toEqual(
      {
        allowed: true,
        activity: 'manufacturing',
        party: 'cdmo',
      },
    );
    expect(codeOf(authorize('concord.batch.qp-certified.v1', SPONSOR, agreementV1, subject))).toBe(
      'allowed',
    );
  });

  it('refuses the other party', () => {
    expect(codeOf(authorize('concord.batch.qp-certified.v1', CDMO, agreementV1, subject))).toBe(
      'authorization.not-responsible-party',
    );
  });

  it('refuses an organization for a batch that is not its own', () => {
    const othersBatch = { ...subject, cdmoId: OTHER_CDMO };
    expect(
      codeOf(authorize('concord.batch.manufacturing-started.v1', CDMO, agreementV1, othersBatch)),
    ).toBe('authorization.not-own-batch');
  });

  it('refuses an activity the agreement does not assign, and a product it does not cover', () => {
    const withoutShipping = {
      ...agreementV1,
      responsibilities: agreementV1.responsibilities.filter((r) => r.activity !== 'shipping'),
    };
    expect(codeOf(authorize('concord.batch.shipped.v1', CDMO, withoutShipping, subject))).toBe(
      'authorization.activity-not-assigned',
    );
    expect(
      codeOf(
        authorize('concord.batch.shipped.v1', CDMO, agreementV1, { ...subject, productId: 'p-x' }),
      ),
    ).toBe('authorization.product-not-covered');
  });

  it('allows platform-only event types to the platform only', () => {
    expect(
      codeOf(
        authorize(
          'concord.batch.deviation-linked.v1',
          PLATFORM_ORGANIZATION_ID,
          undefined,
          subject,
        ),
      ),
    ).toBe('allowed');
    expect(codeOf(authorize('concord.batch.deviation-linked.v1', CDMO, agreementV1, subject))).toBe(
      'authorization.platform-only',
    );
    expect(
      codeOf(authorize('concord.deviation.reported-late.v1', CDMO, agreementV1, subject)),
    ).toBe('authorization.platform-only');
  });

  it('maps every activity to at least one event type', () => {
    const mapped = new Set(Object.values(activityByEventType));
    expect(activities.filter((activity) => !mapped.has(activity))).toEqual([]);
    expect(activityOf('concord.batch.oos-investigation-opened.v1')).toBeUndefined();
  });
});

describe('the published catalogue', () => {
  it('gives every event type exactly one author: a partner activity, a correction, or the platform', () => {
    const platform = new Set<string>(platformEventTypes);
    for (const type of eventTypes) {
      const authors = [
        activityOf(type) !== undefined,
        type === 'concord.correction.recorded.v1',
        platform.has(type),
      ].filter(Boolean);
      expect(authors, type).toHaveLength(1);
    }
    // And names nothing outside the catalogue.
    for (const type of [...Object.keys(activityByEventType), ...platform])
      expect(eventTypes as readonly string[], type).toContain(type);
  });
});
