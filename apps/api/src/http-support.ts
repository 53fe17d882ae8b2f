import { AuthenticationError, type Authenticator } from '@concord/auth';

/** A JSON error answer: `{ "error": message }`. */
export const jsonError = (status: number, message: string): Response =>
  new Response(JSON.stringify({ error: message }), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/**
 * The organization of the request's caller (a person's token or a partner system's API key), or
 * the 401 answer to give instead.
 */
export async function callerOrganization(
  request: Request,
  authenticator: Authenticator,
): Promise<{ organizationId: string } | { refusal: Response }> {
  try {
    const caller = await authenticator.authenticate(request.headers.get('authorization'));
    if (caller) return { organizationId: caller.organizationId };
  } catch (error) {
    if (error instanceof AuthenticationError) return { refusal: jsonError(401, error.message) };
    throw error;
  }
  return { refusal: jsonError(401, 'Sign in with a token of your organization.') };
}
