// Apollo Client's normalized cache against a live server, driven by
// tests/e2e/test_apollo_cache.py: a reader pages the home feed with relayStylePagination
// while the author keeps posting, then runs mutations and reads the screens from the cache
// alone. Prints one JSON line.
//
//   API_URL=… READER_TOKEN=… AUTHOR_TOKEN=… AUTHOR=<username> node apollo_cache.mjs
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";

const uri = process.env.API_URL;
let requests = 0;
const counting = (input, init) => {
  requests += 1;
  return fetch(input, init);
};
const client = new ApolloClient({
  link: new HttpLink({
    uri,
    fetch: counting,
    headers: { authorization: `Bearer ${process.env.READER_TOKEN}` },
  }),
  cache: new InMemoryCache({
    typePolicies: { Query: { fields: { homeFeed: relayStylePagination() } } },
  }),
});

async function asAuthor(query, variables = {}) {
  const response = await fetch(uri, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${process.env.AUTHOR_TOKEN}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()).data;
}

const USER = `fragment U on User { id username displayName followerCount viewerFollows }`;
const POST = `fragment P on Post { id body editedAt likeCount viewerHasLiked author { ...U } }`;
const HOME = gql`
  query Home($first: Int, $after: String) {
    homeFeed(first: $first, after: $after) {
      edges { cursor node { ...P } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
  ${POST}
  ${USER}
`;
const PROFILE = gql`
  query Profile($name: String!) { user(username: $name) { ...U } }
  ${USER}
`;
const THREAD = gql`
  query Thread($id: ID!) { post(id: $id) { ...P } }
  ${POST}
  ${USER}
`;
const mutation = (text) =>
  gql(`${text} ${text.includes("...P") ? POST + USER : text.includes("...U") ? USER : ""}`);

// 1. Pages of 3, the author posting between pages: the same posts as one read before.
const before = await client.query({
  query: HOME,
  variables: { first: 100 },
  fetchPolicy: "no-cache",
});
const snapshot = before.data.homeFeed.edges.map((edge) => edge.node.id);
const feed = client.watchQuery({ query: HOME, variables: { first: 3 } });
const watching = feed.subscribe(() => {});
let page = (await feed.refetch()).data.homeFeed;
let pages = 1;
while (page.pageInfo.hasNextPage && pages < 50) {
  await asAuthor("mutation ($b: String!) { createPost(input: {body: $b}) { errors { code } } }", {
    b: `between pages ${pages}`,
  });
  await feed.fetchMore({ variables: { first: 3, after: page.pageInfo.endCursor } });
  page = client.readQuery({ query: HOME, variables: { first: 3 } }).homeFeed;
  pages += 1;
}
const paged = page.edges.map((edge) => edge.node.id);
const pagination = { snapshot, paged, pages, pageInfo: page.pageInfo };

// 2. Mutations, each screen then read from the cache alone (no request).
const author = process.env.AUTHOR;
const postId = page.edges.find((edge) => edge.node.author.username === author).node.id;
const own = page.edges.find((edge) => edge.node.author.username !== author).node;
await client.query({ query: PROFILE, variables: { name: author } });
await client.query({ query: THREAD, variables: { id: postId } });
const screens = () => {
  const sent = requests;
  const home = client.readQuery({ query: HOME, variables: { first: 3 } }).homeFeed.edges;
  const shown = {
    thread: client.readQuery({ query: THREAD, variables: { id: postId } }).post,
    profile: client.readQuery({ query: PROFILE, variables: { name: author } }).user,
    homePost: home.find((edge) => edge.node.id === postId).node,
    homeOwn: home.find((edge) => edge.node.id === own.id).node,
  };
  if (requests !== sent) throw new Error("reading the cache made a request");
  return shown;
};
const steps = {};
async function step(name, text, variables) {
  const sent = requests;
  await client.mutate({ mutation: mutation(text), variables });
  steps[name] = { requests: requests - sent, ...screens() };
}
const post = { id: postId };
await step("like", "mutation ($id: ID!) { likePost(postId: $id) { post { ...P } } }", post);
await step(
  "unlike",
  "mutation ($id: ID!) { unlikePost(postId: $id) { post { id likeCount viewerHasLiked } } }",
  post,
);
const user = { id: steps.like.profile.id };
await step("unfollow", "mutation ($id: ID!) { unfollowUser(userId: $id) { user { ...U } } }", user);
await step("follow", "mutation ($id: ID!) { followUser(userId: $id) { user { ...U } } }", user);
await step(
  "edit",
  `mutation ($id: ID!) { editPost(input: {id: $id, body: "edited"})
     { post { id body editedAt } } }`,
  { id: own.id },
);
await step(
  "rename",
  'mutation { updateProfile(input: {displayName: "Renamed"}) { user { id displayName } } }',
  {},
);

// 3. What the cache shows at the end is what the server says now.
const fresh = new ApolloClient({
  link: new HttpLink({ uri, headers: { authorization: `Bearer ${process.env.READER_TOKEN}` } }),
  cache: new InMemoryCache(),
});
const now = {
  thread: (await fresh.query({ query: THREAD, variables: { id: postId } })).data.post,
  profile: (await fresh.query({ query: PROFILE, variables: { name: author } })).data.user,
};
watching.unsubscribe();
console.log(JSON.stringify({ pagination, steps, cached: screens(), now }));
