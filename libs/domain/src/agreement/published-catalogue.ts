import { eventTypes, schemaDocuments, schemaPathByType, type EventType } from '@concord/contract';
import { signatureRules, type SignatureRule } from '../shared/signature.ts';
import { streams, type StreamKind } from '../shared/streams.ts';
import type { Activity } from '../shared/vocabulary.ts';
import { activityByEventType, platformEmitters } from './authorization.ts';

const CORRECTION = 'concord.correction.recorded.v1';

/** Who may emit an event type, as the rules of this package decide it. */
export type Emitter =
  /** The party the agreement in force assigns the activity to. */
  | { kind: 'party'; activity: Activity }
  /** The organization that emitted the event a correction names. */
  | { kind: 'corrected-event-emitter' }
  /** Concord itself; never accepted from a partner. */
  | { kind: 'platform'; who: string };

/** One event type as the contract publishes it (schemas/README.md, schemas/asyncapi.yaml). */
export type PublishedEventType = {
  type: EventType;
  /** The stream it is appended to, e.g. `batch-<batchId>`. */
  stream: string;
  emitter: Emitter;
  /** A partner may publish it on its inbound topic. */
  acceptedFromPartners: boolean;
  /** The newer version of the same event, when one is published (the older is still accepted). */
  supersededBy: EventType | undefined;
  /** The e-signature its data carries, and the rule the decider holds it to (if it has one). */
  signature: { field: 'signature' | 'signatures'; rule: SignatureRule | undefined } | undefined;
};

/**
 * The catalogue as partners read it, derived from the rules themselves (who may emit each type,
 * the signature rules, stream names) and the schemas, so the published documents cannot drift
 * from what ingest accepts. Ordered as the contract's catalogue.
 */
export function publishedCatalogue(): PublishedEventType[] {
  return eventTypes.map((type) => {
    const emitter = emitterOf(type);
    return {
      type,
      stream: streamOfType(type),
      emitter,
      acceptedFromPartners: emitter.kind !== 'platform',
      supersededBy: newerVersionOf(type),
      signature: signatureOf(type),
    };
  });
}

function emitterOf(type: EventType): Emitter {
  const activity = (activityByEventType as Partial<Record<EventType, Activity>>)[type];
  if (activity !== undefined) return { kind: 'party', activity };
  if (type === CORRECTION) return { kind: 'corrected-event-emitter' };
  const who = (platformEmitters as Partial<Record<EventType, string>>)[type];
  if (who !== undefined) return { kind: 'platform', who };
  throw new Error(`${type} has neither an activity nor a platform emitter (authorization.ts).`);
}

function streamOfType(type: EventType): string {
  const aggregate = type.split('.')[1] as StreamKind | 'correction';
  return aggregate === 'correction'
    ? "the corrected event's stream"
    : streams[aggregate](`<${aggregate}Id>`);
}

/** concord.<aggregate>.<event>.v<N>: the highest published N of the same event, if above this one. */
function newerVersionOf(type: EventType): EventType | undefined {
  const name = type.replace(/\.v\d+$/, '');
  const version = (candidate: string) => Number(candidate.slice(candidate.lastIndexOf('.v') + 2));
  const newest = eventTypes
    .filter((candidate) => candidate.replace(/\.v\d+$/, '') === name)
    .reduce((a, b) => (version(b) > version(a) ? b : a));
  return newest === type ? undefined : newest;
}

function signatureOf(type: EventType): PublishedEventType['signature'] {
  const schema = schemaDocuments[schemaPathByType[type]] as { properties?: object };
  const properties = Object.keys(schema.properties ?? {});
  const field = (['signature', 'signatures'] as const).find((name) => properties.includes(name));
  const rule = (signatureRules as Partial<Record<EventType, SignatureRule>>)[type];
  if (field === undefined) {
    if (rule !== undefined) throw new Error(`${type} has a signature rule but no signature field.`);
    return undefined;
  }
  return { field, rule };
}
