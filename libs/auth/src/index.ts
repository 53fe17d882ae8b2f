export {
  AuthenticationError,
  Authenticator,
  CALLER_ROLES,
  E_SIGNATURE_PURPOSE,
  inMemoryStepUpLedger,
  ORGANIZATION_CLAIM,
  PURPOSE_CLAIM,
  sha256Hex,
  type ApiKeyRecord,
  type AuthenticatorOptions,
  type Caller,
  type StepUpCredential,
  type StepUpLedger,
  type StoredApiKeys,
} from './authenticator.ts';
export { DEV_AUDIENCE, DEV_ISSUER, DevIssuer, type DevTokenClaims } from './dev-issuer.ts';
