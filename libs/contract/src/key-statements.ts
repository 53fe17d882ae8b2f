import type { KeyObject } from 'node:crypto';
import { signEvent, verifyEventSignature } from './signing.ts';

/**
 * What an organization signs, with a key it already holds, to prove a change to its own signing
 * keys: registering the next key (rotation) or revoking one. The statement is signed as events
 * are (RFC 8785 canonical JSON, Ed25519, `signaturekeyid` covered), so a partner signs it with the
 * tools it signs events with, and an auditor checks it later the same way.
 */
export type SigningKeyStatement =
  | {
      statement: 'concord.signing-key-registration.v1';
      organizationId: string;
      keyId: string;
      algorithm: 'Ed25519';
      publicKey: string;
      validFrom: string;
    }
  | {
      statement: 'concord.signing-key-revocation.v1';
      organizationId: string;
      keyId: string;
      revokedAt: string;
      reason: string;
    };

/** The signature (base64) of `statement` by the key `keyId`. */
export function signKeyStatement(
  statement: SigningKeyStatement,
  key: { keyId: string; privateKeyPem: string | KeyObject },
): string {
  return signEvent(statement, key).signature;
}

/** Whether `signature` is `keyId`'s signature of `statement`, checked with its public half. */
export function verifyKeyStatement(
  statement: SigningKeyStatement,
  proof: { keyId: string; signature: string },
  publicKey: string,
): boolean {
  return verifyEventSignature(
    { ...statement, signaturekeyid: proof.keyId, signature: proof.signature },
    publicKey,
  );
}
