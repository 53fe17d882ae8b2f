// Published schemas never change; an event type evolves by a new version (a new schema file) and
// an upcaster here that turns stored older versions into the newest shape when they are read.
// Signatures are verified on the stored original, never on an upcast event.
import type { ConcordEvent } from './events.ts';
import { dataSchemaIdByType, type EventType } from './generated/catalogue.ts';
import type {
  AgreementVersionApprovedV1,
  AgreementVersionApprovedV2,
  AgreementVersionDraftedV1,
  AgreementVersionDraftedV2,
  BatchShippedV1,
  BatchShippedV2,
  EventDataByType,
} from './generated/schema-types.ts';

export interface Upcaster<From extends EventType, To extends EventType> {
  readonly from: From;
  readonly to: To;
  readonly upcast: (data: EventDataByType[From]) => EventDataByType[To];
}

function defineUpcaster<From extends EventType, To extends EventType>(
  upcaster: Upcaster<From, To>,
): Upcaster<From, To> {
  return upcaster;
}

/** Unknown country in ISO 3166-1 (user-assigned code ZZ). */
export const UNKNOWN_COUNTRY = 'ZZ';

const trailingCountry = /^(.*?\S)\s*,\s*([A-Z]{2})$/;

/**
 * shipped v1 → v2: the free-text destination becomes `{ siteName, country }`. A v1 destination
 * ending in ", <ISO country code>" (the documented v1 convention, e.g. "Helvion depot Basel, CH")
 * splits there; anything else keeps the whole text as the site name with country ZZ (unknown).
 */
export const batchShippedV1ToV2 = defineUpcaster({
  from: 'concord.batch.shipped.v1',
  to: 'concord.batch.shipped.v2',
  upcast: (data: BatchShippedV1): BatchShippedV2 => {
    const match = trailingCountry.exec(data.destination);
    const [, siteName, country] = match ?? [];
    return {
      batchId: data.batchId,
      shipmentId: data.shipmentId,
      shippedAt: data.shippedAt,
      destination:
        siteName && country
          ? { siteName, country }
          : { siteName: data.destination, country: UNKNOWN_COUNTRY },
      quantity: data.quantity,
    };
  },
});

/**
 * A quality agreement version v1 → v2: v2 only adds the optional deviation due days, which a v1
 * version never set; the data is the same.
 */
export const agreementVersionApprovedV1ToV2 = defineUpcaster({
  from: 'concord.agreement.version-approved.v1',
  to: 'concord.agreement.version-approved.v2',
  upcast: (data: AgreementVersionApprovedV1): AgreementVersionApprovedV2 => data,
});

/** A draft of a quality agreement version v1 → v2, as for the approved version. */
export const agreementVersionDraftedV1ToV2 = defineUpcaster({
  from: 'concord.agreement.version-drafted.v1',
  to: 'concord.agreement.version-drafted.v2',
  upcast: (data: AgreementVersionDraftedV1): AgreementVersionDraftedV2 => data,
});

/** An upcaster of any source type (its data type is checked where it is defined). */
type AnyUpcaster = {
  readonly from: EventType;
  readonly to: EventType;
  readonly upcast: (data: never) => unknown;
};

/** Every upcaster, at most one per source type. */
export const upcasters: readonly AnyUpcaster[] = [
  batchShippedV1ToV2,
  agreementVersionApprovedV1ToV2,
  agreementVersionDraftedV1ToV2,
];

const bySource: ReadonlyMap<string, AnyUpcaster> = new Map(upcasters.map((u) => [u.from, u]));

/** The newest version an event type upcasts to (itself when it has no upcaster). */
export function latestTypeOf(type: EventType): EventType {
  let current = type;
  for (let next = bySource.get(current); next; next = bySource.get(current)) current = next.to;
  return current;
}

/**
 * A type and its data in the newest version of the type, by chaining upcasters (v1 → v2 → …):
 * what a reader that shows events (the as-of state, the read model) works on, whichever version
 * was recorded. Anything already at its newest version, or of no published type, is returned as
 * it is.
 */
export function upcastData<Shape extends { type: string; data: unknown }>(event: Shape): Shape {
  let current = event;
  for (let next = bySource.get(current.type); next; next = bySource.get(current.type)) {
    current = { ...current, type: next.to, data: next.upcast(current.data as never) };
  }
  return current;
}

/**
 * Brings an event to the newest version of its type by chaining upcasters (v1 → v2 → …). Keeps
 * every attribute; `type` and, when present, `dataschema` follow the new version. Events already
 * at their newest version are returned as they are.
 */
export function upcastEvent(event: ConcordEvent): ConcordEvent {
  const upcast = upcastData<ConcordEvent>(event);
  if (upcast === event || upcast.dataschema === undefined) return upcast;
  return { ...upcast, dataschema: dataSchemaIdByType[upcast.type] } as ConcordEvent;
}
