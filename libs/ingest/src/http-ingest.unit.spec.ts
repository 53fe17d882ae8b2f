import { CLOUDEVENTS_BATCH_JSON, CLOUDEVENTS_JSON } from '@concord/contract';
import { InMemoryEventStore } from '@concord/event-store';
import { beforeEach, describe, expect, it } from 'vitest';
import { bearerTokens, httpIngestHandler, type HttpIngestResponse } from './http-ingest.ts';
import { IngestPipeline } from './ingest-pipeline.ts';
import { inMemoryOutcomeLog } from './outcome-log.ts';
import {
  CDMO,
  SPONSOR,
  seedPartnerWorld,
  type PartnerWorld,
} from './test-support/partner-world.ts';

describe('HTTP ingest', () => {
  let world: PartnerWorld;
  let handler: (request: Request) => Promise<Response>;
  beforeEach(async () => {
    const store = new InMemoryEventStore();
    world = await seedPartnerWorld(store);
    handler = httpIngestHandler({
      pipeline: new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() }),
      authenticate: bearerTokens({ 'cdmo-token': CDMO, 'sponsor-token': SPONSOR }),
    });
  });

  const post = (body: string, contentType: string, token = 'cdmo-token') =>
    handler(
      new Request('http://concord.test/ingest', {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
        body,
      }),
    );

  it('answers a batch with one outcome per event, in order', async () => {
    const events = [
      world.partnerEvent(CDMO, 'batch/scheduled.v1'),
      world.partnerEvent(CDMO, 'batch/manufacturing-started.v1'),
      world.partnerEvent(CDMO, 'batch/shipped.v1'),
    ];
    const response = await post(JSON.stringify(events), CLOUDEVENTS_BATCH_JSON);
    expect(response.status).toBe(200);
    const { outcomes } = (await response.json()) as HttpIngestResponse;
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'rejected']);
    expect(outcomes[2]).toMatchObject({ rejection: { rejectedEventId: events[2]!.id } });
  });

  it('takes the organization from the credential, not from the event', async () => {
    const event = world.partnerEvent(CDMO, 'batch/scheduled.v1');
    const response = await post(JSON.stringify(event), CLOUDEVENTS_JSON, 'sponsor-token');
    const { outcomes } = (await response.json()) as HttpIngestResponse;
    expect(outcomes[0]).toMatchObject({
      status: 'rejected',
      rejection: { code: 'sender.forged-source' },
    });
  });

  it('refuses callers without a valid token, unreadable bodies and other content types', async () => {
    expect((await post('{}', CLOUDEVENTS_JSON, 'nobody')).status).toBe(401);
    expect((await post('{not json', CLOUDEVENTS_BATCH_JSON)).status).toBe(400);
    expect((await post('{}', 'text/plain')).status).toBe(415);
  });
});
