import { createPrivateKey, type KeyObject } from 'node:crypto';
import {
  dataSchemaIdByType,
  isEventType,
  JSON_CONTENT_TYPE,
  signEvent,
  validateEvent,
  type ConcordEvent,
  type EventData,
  type EventType,
  type Role,
  type ValidationError,
} from '@concord/contract';
import { InvalidEventError, PartnerClientError } from './errors.ts';
import { uuidv7 } from './ids.ts';

export interface PartnerOptions {
  /** The partner's organization id as registered with Concord (becomes `actororg`). */
  organizationId: string;
  /** The registered signing key's id (becomes `signaturekeyid`). */
  keyId: string;
  /** The Ed25519 private key, PKCS#8 PEM (as `concord keys generate` writes it). */
  privateKeyPem: string;
  /** The `source` of events that name none: `urn:concord:<organizationId>:<system>`. */
  defaultSource: string;
  /** When events that carry no `time` happened. @default () => new Date() */
  clock?: () => Date;
  /** Ids of events that carry none. @default a UUID v7 */
  generateId?: () => string;
}

/** What an event needs besides its type, subject and data. */
export interface EventOptions {
  /** The person (or system account) who acted: `actorid`. */
  actorId: string;
  /** The role the actor acted in: `actorrole`. */
  actorRole?: Role;
  /** When it happened (RFC 3339 with offset, kept as given). @default the partner's clock */
  time?: Date | string;
  /** The CloudEvents id, unique per source. @default a UUID v7 */
  id?: string;
  /** Groups the events of one business flow: `correlationid`. */
  correlationId?: string;
  /** The id of the event or command that caused this one: `causationid`. */
  causationId?: string;
  /** @default the partner's `defaultSource` */
  source?: string;
}

/** A partner's view of the contract: builds valid, signed events of its own organization. */
export interface Partner {
  readonly organizationId: string;
  readonly keyId: string;
  readonly defaultSource: string;
  /**
   * A complete, signed structured-mode event of `type`, its data typed by the contract. Throws
   * {@link InvalidEventError} (never retriable) when the result would break the contract.
   */
  event<T extends EventType>(
    type: T,
    subject: string,
    data: EventData<T>,
    options: EventOptions,
  ): ConcordEvent<T>;
  /**
   * Completes, signs and validates an event given loosely (read from a file, say): at least
   * `type`, `subject` and `data`, any CloudEvents attribute besides. Missing attributes are
   * filled as {@link Partner.event} fills them, `defaults` first; a `signature` present is
   * replaced by this partner's. Throws {@link InvalidEventError}.
   */
  complete(input: unknown, defaults?: Partial<EventOptions>): ConcordEvent;
}

const SIGNATURE_ATTRIBUTES = new Set(['signature', 'signaturekeyid']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The organization's own sources: what ingest accepts on its channel. */
export function sourcePrefix(organizationId: string): string {
  return `urn:concord:${organizationId}:`;
}

/** The sender rules ingest applies, checked before anything is sent. */
function senderErrors(event: Record<string, unknown>, organizationId: string): ValidationError[] {
  const errors: ValidationError[] = [];
  const source = event.source;
  if (typeof source === 'string' && !source.startsWith(sourcePrefix(organizationId))) {
    errors.push({
      path: '/source',
      code: 'invalid',
      message: `The field /source must be one of ${organizationId}'s sources (${sourcePrefix(organizationId)}<system>), not ${JSON.stringify(source)}.`,
    });
  }
  if (event.actororg !== organizationId) {
    errors.push({
      path: '/actororg',
      code: 'invalid',
      message: `The field /actororg must be ${organizationId}, the organization that sends and signs it, not ${JSON.stringify(event.actororg)}.`,
    });
  }
  return errors;
}

function privateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new PartnerClientError('The private key is not a readable PEM key.', {
      retriable: false,
      cause,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new PartnerClientError(
      `The private key is ${key.asymmetricKeyType ?? 'of an unknown type'}; Concord signatures are Ed25519.`,
      { retriable: false },
    );
  }
  return key;
}

/** A partner: the organization, its signing key and its default source, checked once. */
export function createPartner(options: PartnerOptions): Partner {
  const { organizationId, keyId, defaultSource } = options;
  if (!defaultSource.startsWith(sourcePrefix(organizationId)) || defaultSource.endsWith(':')) {
    throw new PartnerClientError(
      `The default source must be ${sourcePrefix(organizationId)}<system>, not ${JSON.stringify(defaultSource)}: ingest refuses other sources from ${organizationId}.`,
      { retriable: false },
    );
  }
  const key = { keyId, privateKeyPem: privateKey(options.privateKeyPem) };
  const clock = options.clock ?? (() => new Date());
  const generateId = options.generateId ?? (() => uuidv7(clock().getTime()));

  function finish(event: Record<string, unknown>): ConcordEvent {
    const signed = signEvent(event, key);
    const checked = validateEvent(signed);
    const errors = [...senderErrors(signed, organizationId), ...(checked.ok ? [] : checked.errors)];
    if (!checked.ok || errors.length > 0) throw new InvalidEventError(errors);
    return checked.event;
  }

  function complete(input: unknown, defaults: Partial<EventOptions> = {}): ConcordEvent {
    if (!isPlainObject(input)) {
      throw new InvalidEventError([
        { path: '', code: 'type', message: 'An event must be a JSON object.' },
      ]);
    }
    const given: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input)) {
      if (!SIGNATURE_ATTRIBUTES.has(name) && value !== undefined) given[name] = value;
    }
    const time = given.time ?? defaults.time ?? clock();
    const type = given.type;
    const optional: Record<string, unknown> = {
      actorrole: defaults.actorRole,
      correlationid: defaults.correlationId,
      causationid: defaults.causationId,
    };
    const event: Record<string, unknown> = {
      specversion: '1.0',
      id: defaults.id ?? generateId(),
      source: defaults.source ?? defaultSource,
      datacontenttype: JSON_CONTENT_TYPE,
      ...(isEventType(type) ? { dataschema: dataSchemaIdByType[type] } : {}),
      actorid: defaults.actorId,
      actororg: organizationId,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
      ...given,
      time: time instanceof Date ? time.toISOString() : time,
    };
    if (event.actorid === undefined) delete event.actorid;
    return finish(event);
  }

  return {
    organizationId,
    keyId,
    defaultSource,
    event(type, subject, data, eventOptions) {
      return complete({ type, subject, data }, eventOptions) as ConcordEvent<typeof type>;
    },
    complete,
  };
}
