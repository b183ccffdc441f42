// The README's recipe for sockets that follow sessions, driven by
// tests/e2e/test_socket_token_expiry.py: Apollo Client over graphql-ws, whose
// connectionParams signs in for a fresh access token on every (re)connect. The server's
// tokens live a few seconds, so the socket closes with 4403 mid-stream; graphql-ws retries
// it by default, and the subscription resumes with `after` from the last event received.
// Prints one JSON line: the events (actor, cursor), the close codes seen, the error if any.
//
//   API_URL=http://127.0.0.1:8000/graphql LOGIN=alice PASSWORD=... COUNT=6 node socket_token_expiry.mjs
import { ApolloClient, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const { API_URL, LOGIN, PASSWORD } = process.env;
const COUNT = Number(process.env.COUNT ?? 1);
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS ?? 60000);
const closes = [];
let connects = 0;

async function freshAccessToken() {
  const response = await fetch(API_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: "mutation ($login: String!, $password: String!) { login(input: {login: $login, password: $password}) { accessToken } }",
      variables: { login: LOGIN, password: PASSWORD },
    }),
  });
  return (await response.json()).data.login.accessToken;
}

// The recipe (README, "Sockets follow sessions").
const wsClient = createClient({
  url: API_URL.replace(/^http/, "ws"),
  webSocketImpl: WebSocket,
  connectionParams: async () => ({ authorization: `Bearer ${await freshAccessToken()}` }),
  retryAttempts: 20,
  on: {
    connected: () => connects++,
    closed: (event) => closes.push(event.code),
  },
});
// graphql-ws sends a subscription's payload again after a reconnect: keep its `after` at
// the last event received, and the resubscription misses nothing and repeats nothing.
const subscribe = wsClient.subscribe.bind(wsClient);
wsClient.subscribe = (payload, sink) =>
  subscribe(payload, {
    ...sink,
    next(result) {
      const cursor = result.data?.notificationAdded?.cursor;
      if (cursor) payload.variables = { ...payload.variables, after: cursor };
      sink.next(result);
    },
  });
const client = new ApolloClient({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() });

const events = [];
let error = null;
await new Promise((resolve) => {
  const timer = setTimeout(resolve, TIMEOUT_MS);
  client
    .subscribe({
      query: gql`
        subscription Live($after: String) {
          notificationAdded(after: $after) {
            cursor
            notification { id actor { username } }
          }
        }
      `,
      variables: { after: process.env.AFTER },
    })
    .subscribe({
      next: (result) => {
        if (result.error) {
          error = String(result.error.message);
          return;
        }
        const event = result.data.notificationAdded;
        events.push({ actor: event.notification.actor.username, cursor: event.cursor });
        console.error(`event ${events.length}: ${event.notification.actor.username}`);
        if (events.length >= COUNT) {
          clearTimeout(timer);
          resolve();
        }
      },
      error: (e) => {
        error = String(e?.message ?? e);
        clearTimeout(timer);
        resolve();
      },
    });
});
console.log(JSON.stringify({ events, closes, connects, error }));
await wsClient.dispose();
process.exit(0);
