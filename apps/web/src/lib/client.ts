// One urql client per signed-in session: queries and mutations over HTTP, subscriptions over
// graphql-ws on the same endpoint, the bearer token on both.
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

export interface ConcordClient {
  client: Client;
  sockets: WsClient;
  dispose(): void;
}

export function createConcordClient(
  token: string,
  onLiveStatus: (status: LiveStatus) => void,
): ConcordClient {
  const wsUrl = new URL('/graphql', window.location.href);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const sockets = createWsClient({
    url: wsUrl.toString(),
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: Infinity,
    shouldRetry: () => true,
    lazy: false,
    on: {
      connected: () => onLiveStatus('live'),
      closed: () => onLiveStatus('reconnecting'),
    },
  });
  const client = new Client({
    url: '/graphql',
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = sockets.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    requestPolicy: 'cache-and-network',
  });
  return {
    client,
    sockets,
    dispose: () => void sockets.dispose(),
  };
}
