import type { EventDataByType, EventType } from '@concord/contract';
import type { Id, Instant, Role } from '../shared/vocabulary.ts';

/**
 * Event metadata, named like the CloudEvents attributes and extensions that carry it on the wire.
 * `time` is the occurred-at from the partner, `recordedtime` the platform's recorded-at.
 */
export type EventMetadata = {
  id: Id;
  source?: string;
  time: Instant;
  recordedtime: Instant;
  actorid: Id;
  actororg: Id;
  actorrole?: Role;
  correlationid?: Id;
  causationid?: Id;
  signature?: string;
  signaturekeyid?: string;
};

/** An event as the domain sees it: the catalogue's `type` and `data`, plus optional metadata. */
export type Event<Type extends string, Data> = {
  type: Type;
  data: Data;
  metadata?: EventMetadata;
};

/**
 * An event of the published catalogue: its `data` is the type generated from its JSON Schema in
 * `schemas/` (by `@concord/contract`), so the schemas are the one source of the vocabulary.
 */
export type CatalogueEvent<Type extends EventType> = Event<Type, EventDataByType[Type]>;

/**
 * Every event of the catalogue whose type starts with `Prefix` (e.g. `concord.batch.`): an
 * aggregate's events are those of its schemas, so a new schema joins its aggregate's union as
 * soon as the contract is generated, and the compiler then names every exhaustive switch (evolve,
 * projections, descriptions, as-of folds) and every table keyed by type that must take it in.
 */
export type CatalogueEventsOf<Prefix extends string> = {
  [Type in EventType]: Type extends `${Prefix}${string}` ? CatalogueEvent<Type> : never;
}[EventType];
