import { loneSurrogatePath, notUnicodeText } from '@concord/contract';
import type { ExecutionArgs } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * Refuses an operation whose variables hold text that is not Unicode (a lone UTF-16 surrogate,
 * which JSON lets a client write as `"\ud800"`), before it runs: such text has no canonical
 * form to sign and no jsonb to store it in, so an act would fail half-way with an unexplained
 * error, and a read would look for something else than asked (PostgreSQL receives U+FFFD). The
 * parser already refuses it written in the document itself.
 */
export function unicodeVariablesOnly(): Plugin {
  const refusal = (args: ExecutionArgs) => {
    for (const [name, value] of Object.entries(args.variableValues ?? {})) {
      const path = loneSurrogatePath(value);
      if (path === undefined) continue;
      const where = path.reduce<string>(
        (at, key) => (typeof key === 'number' ? `${at}[${key}]` : `${at}.${key}`),
        name,
      );
      const what = path.length > 0 ? `Variable "$${name}" at "${where}"` : `Variable "$${name}"`;
      return createGraphQLError(notUnicodeText(what), { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return undefined;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
