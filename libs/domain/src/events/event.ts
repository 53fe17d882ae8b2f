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
