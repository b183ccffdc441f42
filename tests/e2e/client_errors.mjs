// Apollo Client 4 against a live server, driven by tests/e2e/test_client_errors.py: what an
// app's error handling sees for each failure the API answers, with HttpLink (queries,
// mutations) and BatchHttpLink (a batch, which the server refuses). Prints one JSON line:
// {name: {class, codes, status}} per operation.
//
//   API_URL=… OWNER_TOKEN=… OTHER_TOKEN=… node client_errors.mjs
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { BatchHttpLink } from "@apollo/client/link/batch-http";

const uri = process.env.API_URL;
const client = (link) => new ApolloClient({ link, cache: new InMemoryCache() });
const http = (token) =>
  client(new HttpLink({ uri, headers: token ? { authorization: `Bearer ${token}` } : {} }));

function describe(error) {
  return {
    class: CombinedGraphQLErrors.is(error) ? "CombinedGraphQLErrors" : error.constructor.name,
    codes: CombinedGraphQLErrors.is(error) ? error.errors.map((e) => e.extensions?.code) : null,
    status: error.statusCode ?? null,
  };
}

async function outcome(run) {
  try {
    const { error } = await run();
    return error ? describe(error) : { class: null, codes: null, status: null };
  } catch (error) {
    return describe(error);
  }
}

const FEED = gql`
  query Feed($first: Int) {
    publicFeed(first: $first) {
      edges {
        node {
          id
        }
      }
    }
  }
`;
const HOME = gql`
  query Home {
    homeFeed {
      edges {
        cursor
      }
    }
  }
`;
const CREATE = gql`
  mutation Create($body: String!) {
    createPost(input: { body: $body }) {
      post {
        id
      }
      errors {
        code
      }
    }
  }
`;
const EDIT = gql`
  mutation Edit($id: ID!) {
    editPost(input: { id: $id, body: "not mine" }) {
      post {
        id
      }
      errors {
        code
      }
    }
  }
`;

const owner = http(process.env.OWNER_TOKEN);
const created = await owner.mutate({ mutation: CREATE, variables: { body: "mine" } });
const postId = created.data.createPost.post.id;
const query = (apollo, document, variables = {}) => () =>
  apollo.query({ query: document, variables, fetchPolicy: "network-only" });

const result = {
  signedOut: await outcome(query(http(), HOME)),
  badToken: await outcome(query(http("not-a-token"), FEED)),
  notTheAuthor: await outcome(() =>
    http(process.env.OTHER_TOKEN).mutate({ mutation: EDIT, variables: { id: postId } }),
  ),
  pageTooLarge: await outcome(query(http(), FEED, { first: 101 })),
  bodyTooLarge: await outcome(() =>
    owner.mutate({ mutation: CREATE, variables: { body: "x".repeat(1_100_000) } }),
  ),
  batch: await outcome(query(client(new BatchHttpLink({ uri })), FEED, { first: 1 })),
  fine: await outcome(query(http(), FEED, { first: 1 })),
};
console.log(JSON.stringify(result));
