import type { Platform } from './platform.ts';

export interface Persona {
  organizationId: string;
  organizationName: string;
  personId: string;
  printedName: string;
  roles: string[];
}

const EXAMPLE_QUERY = `{
  viewer { id organization { name } }
  batches(first: 5, orderBy: { field: LAST_CHANGED_AT, direction: DESC }) {
    totalCount
    edges { node { batchNumber productName status releaseReady blockers { kind description } } }
  }
}`;

const EXAMPLE_SUBSCRIPTION = 'subscription { batchChanged { batchNumber status } }';

/** What a newcomer needs on screen: where to go, who to be, what to ask. */
export async function printBanner(
  platform: Platform,
  options: { startedMs: number; personas: readonly Persona[]; out: NodeJS.WritableStream },
): Promise<void> {
  const { database, store, kafka } = platform.describe();
  const lines = [
    '',
    `Concord is up in ${(options.startedMs / 1000).toFixed(1)} s`,
    '',
    ...(platform.dashboardUrl ? [`  Dashboard       ${platform.dashboardUrl}`] : []),
    `  GraphiQL        ${platform.graphqlUrl}`,
    `  HTTP ingest     POST ${platform.ingestUrl}`,
    `  Health          ${platform.url}/health`,
    `  Database        ${database}`,
    `  Event store     ${store}`,
    `  Kafka           ${kafka}`,
    platform.devSignIn
      ? `  Sign-in         development sign-in ON: anyone reaching this port signs in as any demo person (--no-dev-sign-in turns it off)`
      : `  Sign-in         development sign-in off (--dev-sign-in, embedded demo only)`,
    '',
  ];
  if (options.personas.length > 0) {
    lines.push(
      'Tokens (12 h) — paste one into GraphiQL\'s headers as {"Authorization": "Bearer <token>"}:',
      '',
    );
    for (const persona of options.personas) {
      const token = await platform.mintToken({
        personId: persona.personId,
        organizationId: persona.organizationId,
        roles: persona.roles,
        name: persona.printedName,
      });
      lines.push(
        `  ${persona.organizationName} — ${persona.printedName} (${persona.roles.join(', ')})`,
        `  ${token}`,
        '',
      );
    }
  }
  const firstToken =
    options.personas[0] &&
    (await platform.mintToken({
      personId: options.personas[0].personId,
      organizationId: options.personas[0].organizationId,
      roles: options.personas[0].roles,
    }));
  lines.push(
    'Try:',
    '',
    ...EXAMPLE_QUERY.split('\n').map((line) => `  ${line}`),
    '',
    `  ${EXAMPLE_SUBSCRIPTION}`,
    '',
    ...(firstToken
      ? [
          `  TOKEN=${firstToken}`,
          `  curl -s ${platform.graphqlUrl} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"query":"{ batches { totalCount } }"}'`,
        ]
      : [
          '  (no demo: mint a token with `node apps/cli/src/main.ts tokens mint --key-file <data>/dev-issuer.json --org <org> --person <id> --role qa`)',
        ]),
    '',
    'Ctrl-C stops it; data stays in the data folder.',
    '',
  );
  options.out.write(lines.join('\n'));
}
