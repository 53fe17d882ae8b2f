export {
  AuthenticationError,
  Authenticator,
  CALLER_ROLES,
  E_SIGNATURE_PURPOSE,
  ORGANIZATION_CLAIM,
  PURPOSE_CLAIM,
  sha256Hex,
  type ApiKeyRecord,
  type AuthenticatorOptions,
  type Caller,
} from './authenticator.ts';
export { DEV_AUDIENCE, DEV_ISSUER, DevIssuer, type DevTokenClaims } from './dev-issuer.ts';
