// Apollo Client's token refresh as apps write it, against a server with short access
// tokens, driven by tests/e2e/test_apollo_refresh.py: the auth link puts the token it holds
// on every request (Apollo's documented recipe: an empty header when there is none), and
// an ErrorLink that meets UNAUTHENTICATED refreshes through the same client and retries.
// Prints one JSON line: {me, operations: [[operationName, status, codes]], error?}.
//
//   API_URL=… USERNAME=… PASSWORD=… WAIT_MS=… node apollo_refresh.mjs
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { ErrorLink } from "@apollo/client/link/error";
import { from, switchMap } from "rxjs";

const operations = [];
async function recording(input, init) {
  const response = await fetch(input, init);
  const body = await response.clone().json();
  const name = JSON.parse(init.body).operationName;
  operations.push([name, response.status, (body.errors ?? []).map((e) => e.extensions?.code)]);
  return response;
}

const tokens = { access: null, refresh: null };
const REFRESH = gql`
  mutation Refresh($token: String!) {
    refreshToken(refreshToken: $token) {
      accessToken
      refreshToken
      errors {
        code
      }
    }
  }
`;
let client;
async function refresh() {
  const { data } = await client.mutate({ mutation: REFRESH, variables: { token: tokens.refresh } });
  tokens.access = data.refreshToken.accessToken;
  tokens.refresh = data.refreshToken.refreshToken;
}

const auth = new SetContextLink(({ headers }) => ({
  headers: { ...headers, authorization: tokens.access ? `Bearer ${tokens.access}` : "" },
}));
const retryOnce = new ErrorLink(({ error, operation, forward }) => {
  const expired =
    CombinedGraphQLErrors.is(error) &&
    error.errors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
  if (!expired || operation.operationName === "Refresh" || operation.getContext().retried) return;
  operation.setContext({ retried: true });
  return from(refresh()).pipe(switchMap(() => forward(operation)));
});
client = new ApolloClient({
  link: retryOnce.concat(auth).concat(new HttpLink({ uri: process.env.API_URL, fetch: recording })),
  cache: new InMemoryCache(),
});

const result = { operations };
try {
  const signedIn = await client.mutate({
    mutation: gql`
      mutation Login($login: String!, $password: String!) {
        login(input: { login: $login, password: $password }) {
          accessToken
          refreshToken
        }
      }
    `,
    variables: { login: process.env.USERNAME, password: process.env.PASSWORD },
  });
  tokens.access = signedIn.data.login.accessToken;
  tokens.refresh = signedIn.data.login.refreshToken;
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.WAIT_MS)));
  const me = await client.query({ query: gql`query Me { me { username } }` });
  result.me = me.data?.me ?? null;
} catch (error) {
  result.error = String(error?.message ?? error);
}
console.log(JSON.stringify(result));
