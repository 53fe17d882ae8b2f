import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventTypes } from '@concord/contract';
import { describe, expect, it } from 'vitest';
import {
  messageName,
  renderCatalogueDocuments,
  schemasDir,
} from '../../scripts/catalogue-documents.ts';
import { signatureRules } from '../shared/signature.ts';
import { activityByEventType, platformEventTypes } from './authorization.ts';
import { publishedCatalogue } from './published-catalogue.ts';

describe('the published catalogue', () => {
  const catalogue = publishedCatalogue();
  const byType = new Map(catalogue.map((entry) => [entry.type, entry]));

  it('names every type of the contract once', () => {
    expect(catalogue.map((entry) => entry.type)).toEqual([...eventTypes]);
  });

  it('accepts from partners exactly the types with an activity, and corrections', () => {
    const accepted = catalogue.filter((entry) => entry.acceptedFromPartners).map((e) => e.type);
    expect(accepted.sort()).toEqual(
      [...Object.keys(activityByEventType), 'concord.correction.recorded.v1'].sort(),
    );
    for (const type of platformEventTypes) {
      expect(byType.get(type)?.emitter.kind).toBe('platform');
      expect(byType.get(type)?.acceptedFromPartners).toBe(false);
    }
  });

  it('states each signature rule on a type whose data carries the signature', () => {
    for (const [type, rule] of Object.entries(signatureRules))
      expect(byType.get(type as never)?.signature).toEqual({ field: 'signature', rule });
    expect(byType.get('concord.agreement.version-approved.v1')?.signature).toEqual({
      field: 'signatures',
      rule: undefined,
    });
    expect(byType.get('concord.batch.scheduled.v1')?.signature).toBeUndefined();
  });

  it('names streams by the stream convention, and the newer version of a superseded type', () => {
    expect(byType.get('concord.batch.shipped.v1')).toMatchObject({
      stream: 'batch-<batchId>',
      supersededBy: 'concord.batch.shipped.v2',
    });
    expect(byType.get('concord.batch.shipped.v2')?.supersededBy).toBeUndefined();
    expect(byType.get('concord.organization.registered.v1')?.stream).toBe(
      'organization-<organizationId>',
    );
  });

  it('names AsyncAPI messages in camel case', () => {
    expect(messageName('concord.batch.coa-issued.v1')).toBe('batchCoaIssuedV1');
    expect(messageName('concord.deviation.reported-late.v1')).toBe('deviationReportedLateV1');
  });

  it('is what schemas/README.md and schemas/asyncapi.yaml publish today', async () => {
    for (const [name, text] of Object.entries(await renderCatalogueDocuments())) {
      const committed = readFileSync(join(schemasDir, name), 'utf8');
      expect(
        committed === text,
        `schemas/${name} is out of date: run pnpm --filter @concord/domain run publish-catalogue`,
      ).toBe(true);
    }
  });
});
