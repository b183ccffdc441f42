// Apollo Client's own persisted-queries link against a live server, driven by
// tests/e2e/test_persisted_queries.py. Prints one JSON line: every HTTP request the link
// made, the outcome of each operation, and the documents it sent in full (by sha256).
//
//   API_URL=http://127.0.0.1:8000/graphql node persisted_queries.mjs
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

const requests = [];
const sentInFull = {};

async function loggingFetch(input, init = {}) {
  const url = new URL(typeof input === "string" ? input : input.url);
  const method = init.method ?? "GET";
  const body = init.body ? JSON.parse(init.body) : {};
  const query = body.query ?? url.searchParams.get("query");
  const extensions = body.extensions ?? JSON.parse(url.searchParams.get("extensions") ?? "{}");
  if (query) sentInFull[sha256(query)] = query;
  const response = await fetch(input, init);
  requests.push({
    method,
    operationName: body.operationName ?? url.searchParams.get("operationName"),
    sentQuery: Boolean(query),
    sha256Hash: extensions.persistedQuery?.sha256Hash ?? null,
    status: response.status,
    cacheControl: response.headers.get("cache-control"),
  });
  return response;
}

const client = new ApolloClient({
  link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: process.env.API_URL, fetch: loggingFetch }),
  ),
  cache: new InMemoryCache(),
});

const FEED = gql`
  query Feed {
    publicFeed(first: 2) {
      edges {
        node {
          id
          body
        }
      }
    }
  }
`;
const LOGIN = gql`
  mutation Login {
    login(input: { login: "nobody", password: "wrong-password-1" }) {
      errors {
        code
      }
    }
  }
`;
const ME = gql`
  query Me {
    me {
      id
    }
  }
`;

async function outcome(name, run) {
  try {
    const { data, error } = await run();
    return { name, data: data ?? null, error: error ? describe(error) : null };
  } catch (error) {
    return { name, data: null, error: describe(error) };
  }
}

function describe(error) {
  let body = null;
  try {
    body = error.bodyText ? JSON.parse(error.bodyText) : null;
  } catch {}
  const errors = body?.errors ?? error.errors ?? [];
  return { message: error.message, codes: errors.map((e) => e.extensions?.code ?? null) };
}

const query = (document) => () => client.query({ query: document, fetchPolicy: "network-only" });
const mutate = (document) => () => client.mutate({ mutation: document });

const outcomes = [];
for (const [name, run] of [
  ["feed", query(FEED)],
  ["feed again", query(FEED)],
  ["login", mutate(LOGIN)],
  ["login again", mutate(LOGIN)],
  ...(process.env.WITH_ME ? [["me", query(ME)]] : []),
]) {
  outcomes.push(await outcome(name, run));
}
console.log(JSON.stringify({ outcomes, requests, sentInFull }));
