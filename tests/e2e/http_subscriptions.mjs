// Subscriptions over HTTP with the real clients, driven by
// tests/e2e/test_http_subscriptions.py: Apollo Client's HttpLink (multipart subscriptions)
// or the graphql-sse client (distinct connections). Prints one JSON line: the events
// received (actor and cursor) and any error, once COUNT events came or TIMEOUT_MS passed.
//
//   CLIENT=apollo|sse API_URL=http://127.0.0.1:8000/graphql TOKEN=... AFTER=... COUNT=4 \
//     node http_subscriptions.mjs
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { createClient } from "graphql-sse";

const { CLIENT, API_URL, TOKEN, AFTER } = process.env;
const COUNT = Number(process.env.COUNT ?? 1);
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS ?? 30000);
const QUERY = `
  subscription Live($after: String) {
    notificationAdded(after: $after) {
      cursor
      notification { kind actor { username } }
    }
  }
`;
const headers = TOKEN ? { authorization: `Bearer ${TOKEN}` } : {};
const variables = AFTER ? { after: AFTER } : {};
const events = [];
let error = null;

function subscribe(onEvent, onError) {
  if (CLIENT === "apollo") {
    const client = new ApolloClient({
      link: new HttpLink({ uri: API_URL, headers }),
      cache: new InMemoryCache(),
    });
    const subscription = client.subscribe({ query: gql(QUERY), variables }).subscribe({
      next: (result) =>
        result.error ? onError(String(result.error.message)) : onEvent(result.data),
      error: (e) => onError(String(e?.message ?? e)),
    });
    return () => subscription.unsubscribe();
  }
  const client = createClient({ url: API_URL, headers, singleConnection: false, retryAttempts: 0 });
  return client.subscribe(
    { query: QUERY, variables },
    {
      next: (result) =>
        result.errors ? onError(result.errors.map((e) => e.message).join("; ")) : onEvent(result.data),
      error: (e) => onError(String(e?.message ?? e)),
      complete: () => {},
    },
  );
}

await new Promise((resolve) => {
  const timer = setTimeout(resolve, TIMEOUT_MS);
  const stop = subscribe(
    (data) => {
      const event = data.notificationAdded;
      events.push({ actor: event.notification.actor.username, cursor: event.cursor });
      if (events.length >= COUNT) {
        clearTimeout(timer);
        resolve();
      }
    },
    (message) => {
      error = message;
      clearTimeout(timer);
      resolve();
    },
  );
  process.on("exit", () => stop());
});
console.log(JSON.stringify({ events, error }));
process.exit(0);
