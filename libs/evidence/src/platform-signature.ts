import { signEvent, verifyEventSignature } from '@concord/contract';
import {
  decorateStore,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@concord/event-store';
import {
  isPlatformKeyId,
  platformKeyValidAt,
  type PlatformKey,
  type PlatformKeyring,
} from './platform-key.ts';

/**
 * What the platform signs of an event it appends: the event as a CloudEvent (its metadata are the
 * CloudEvents attributes it was recorded with, the stream its subject), in the canonical form a
 * partner signs (RFC 8785 JSON without `signature` and `recordedtime`). Id, type, stream, data
 * and every attribute are covered, so none can be changed, nor the event moved to another stream.
 */
export function platformEnvelope(
  event: Pick<NewEvent, 'id' | 'type' | 'data' | 'metadata'>,
  streamId: string,
): Record<string, unknown> {
  const { signature: _signature, ...attributes } = event.metadata ?? {};
  return { ...attributes, id: event.id, type: event.type, subject: streamId, data: event.data };
}

/**
 * The event with the platform's signature in its metadata (`signature`, `signaturekeyid`), unless
 * a partner signed it: the partner's signature is the proof of its origin and is kept as sent.
 */
export function signAsPlatform<E extends NewEvent>(
  event: E,
  streamId: string,
  key: PlatformKey,
): E {
  if (typeof event.metadata?.signature === 'string') return event;
  const { signature, signaturekeyid } = signEvent(platformEnvelope(event, streamId), key);
  return { ...event, metadata: { ...event.metadata, signaturekeyid, signature } };
}

export type PlatformSignatureCheck =
  | { status: 'valid'; keyId: string }
  | { status: 'invalid'; keyId: string; problem: string }
  | { status: 'key-not-valid'; keyId: string; problem: string };

/** Whether a stored event carries a signature made with a platform key (`concord:…`). */
export function isPlatformSigned(event: RecordedEvent): boolean {
  const keyId = event.metadata.signaturekeyid;
  return typeof keyId === 'string' && isPlatformKeyId(keyId);
}

/**
 * Checks a platform-signed event against the platform's keyring (which comes from outside the
 * database: the key files, the evidence bundle, what partners were given): the key was the
 * platform's when the event was recorded, and the signature covers the event as stored.
 */
export function verifyPlatformSignature(
  event: RecordedEvent,
  keyring: PlatformKeyring,
): PlatformSignatureCheck {
  const keyId = String(event.metadata.signaturekeyid);
  const key = platformKeyValidAt(keyring, keyId, event.recordedAt);
  if (!key) {
    const known = keyring.find((entry) => entry.keyId === keyId);
    return {
      status: 'key-not-valid',
      keyId,
      problem: !known
        ? `${keyId} is not one of the platform's keys`
        : `${keyId} was not the platform's key when the event was recorded (${event.recordedAt})`,
    };
  }
  const envelope = {
    ...platformEnvelope(event, event.streamId),
    signature: event.metadata.signature,
  };
  return verifyEventSignature(envelope, key.publicKey)
    ? { status: 'valid', keyId }
    : {
        status: 'invalid',
        keyId,
        problem: `the platform's signature does not verify with key ${keyId}: the event changed after it was signed`,
      };
}

/**
 * The store, signing what it is asked to append as the platform (see `signAsPlatform`): every
 * writer that holds this store (deciders' derived events, the process manager, people's acts
 * through the API, administration) records signed events without knowing about keys.
 */
export function signingAsPlatform<Store extends EventStore>(store: Store, key: PlatformKey): Store {
  return decorateStore(store, {
    append: (streamId, events, options) =>
      store.append(
        streamId,
        events.map((event) => signAsPlatform(event, streamId, key)),
        options,
      ),
    appendMany: (requests) =>
      store.appendMany(
        requests.map((request) => ({
          ...request,
          events: request.events.map((event) => signAsPlatform(event, request.streamId, key)),
        })),
      ),
  });
}
