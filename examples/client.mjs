// A small client of the social GraphQL API, with Apollo Client over HTTP and
// graphql-ws over WebSocket: signs in (logs in, or registers the first time),
// reads the home feed, follows someone, posts a picture, then prints live notifications.
//
//   API_URL=http://127.0.0.1:8000/graphql USERNAME=alice PASSWORD='…' FOLLOW=bob npm start
//
// One JSON line per thing that happened, so a person and a test can both read it.
// EXIT_AFTER_EVENTS=N stops after N notifications (the test uses it).
//
// Exit codes: 0 done; 1 any other failure (the "error" line says what);
// 2 wrong password (USERNAME exists with another password), sign-in refused, or a new
//   USERNAME that cannot be registered (a short PASSWORD, an EMAIL already in use);
// 3 cannot reach the API at API_URL (nothing listening, wrong host or port, no network,
//   or something else answering there: a wrong path or port), or its WebSocket refused.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  ServerError,
  ServerParseError,
  gql,
} from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { OperationTypeNode } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const API_URL = process.env.API_URL || "http://127.0.0.1:8000/graphql";
const WS_URL = API_URL.replace(/^http/, "ws");
const USERNAME = process.env.USERNAME || "example_user";
const PASSWORD = process.env.PASSWORD || "an-example-password-42";
const EMAIL = process.env.EMAIL || `${USERNAME}@example.com`;
const FOLLOW = process.env.FOLLOW || "";
// A picture file to post (JPEG, PNG, WebP or GIF), e.g. PICTURE=../docs/graphiql.png.
const PICTURE = process.env.PICTURE || "";
const EXIT_AFTER_EVENTS = Number(process.env.EXIT_AFTER_EVENTS || 0);

const print = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));

const EXIT = { OK: 0, FAILED: 1, SIGN_IN_REFUSED: 2, UNREACHABLE: 3 };

class Failure extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

// fetch() reports a refused connection or an unknown host as a TypeError whose cause has
// the system error code; Apollo wraps it, keeping the original as `cause`.
const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT"]);
function networkCause(error) {
  const chain = [];
  for (let cause = error; cause; cause = cause.cause) chain.push(cause, ...(cause.errors ?? []));
  const known = chain.find((cause) => NETWORK_CODES.has(cause.code));
  if (known) return known.code;
  // Anything else fetch() could not send (a port it refuses, a bad URL).
  const failed = chain.find((cause) => cause instanceof TypeError && cause.message === "fetch failed");
  return failed ? (failed.cause?.message ?? failed.message) : null;
}

// An HTTP answer that is not the API's: no GraphQL body (a 404 page for a wrong path,
// another program on that port). Returns the status, or null for the API's own answer.
function notTheApi(error) {
  for (let cause = error; cause; cause = cause.cause) {
    if (!ServerError.is(cause) && !ServerParseError.is(cause)) continue;
    const body = parsedBody(cause.bodyText);
    return body && (Array.isArray(body.errors) || "data" in body) ? null : cause.statusCode;
  }
  return null;
}

// The API's own error answered with an HTTP error status (e.g. 503 SERVICE_UNAVAILABLE).
function apiError(error) {
  for (let cause = error; cause; cause = cause.cause) {
    if (!ServerError.is(cause)) continue;
    const first = parsedBody(cause.bodyText)?.errors?.[0];
    if (!first) return null;
    const code = first.extensions?.code;
    return `the API answered HTTP ${cause.statusCode}: ${code ? `${code}: ` : ""}${first.message}`;
  }
  return null;
}

// A GraphQL error, answered with 200 or as a refusal (a 4xx the client reads as GraphQL).
function graphqlError(error) {
  for (let cause = error; cause; cause = cause.cause) {
    if (!CombinedGraphQLErrors.is(cause) || !cause.errors.length) continue;
    const [first] = cause.errors;
    const code = first.extensions?.code;
    return `${code ? `${code}: ` : ""}${first.message}`;
  }
  return null;
}

function parsedBody(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

let accessToken = null;

// HTTP: the access token as a Bearer header on every request once signed in.
const httpLink = new SetContextLink(({ headers }) => ({
  headers: { ...headers, ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}) },
})).concat(new HttpLink({ uri: API_URL }));

// Apollo's WebSocket link reads the global WebSocket when a socket fails (Node 22 has one,
// Node 18 and 20 do not: without this, a failed socket is a ReferenceError).
globalThis.WebSocket ??= WebSocket;

// Why the socket could not be opened (refused, or an HTTP answer instead of an upgrade).
let socketFailure = null;

// WebSocket: browsers and `ws` cannot set headers there, so the token goes in connection_init.
const wsClient = createClient({
  url: WS_URL,
  webSocketImpl: WebSocket,
  lazy: true,
  connectionParams: () => ({ authorization: `Bearer ${accessToken}` }),
  on: {
    connected: () => print("connected", { url: WS_URL }),
    error: (event) => {
      socketFailure = event?.message || event?.error?.message || String(event);
    },
  },
});

const client = new ApolloClient({
  link: ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(wsClient),
    httpLink,
  ),
  cache: new InMemoryCache(),
  defaultOptions: { query: { fetchPolicy: "network-only" } },
});

const AUTH_FIELDS = "accessToken user { id username } errors { field code message }";
const LOGIN = gql(`mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`);
const REGISTER = gql(
  `mutation Register($input: RegisterInput!) { register(input: $input) { ${AUTH_FIELDS} } }`,
);
const HOME_FEED = gql(`
  query HomeFeed($first: Int!) {
    homeFeed(first: $first) {
      edges { node { id body createdAt likeCount author { username } } }
    }
  }
`);
const USER = gql(`query UserByName($username: String!) { user(username: $username) { id username } }`);
const FOLLOW_USER = gql(`
  mutation FollowUser($userId: ID!) {
    followUser(userId: $userId) { user { username followerCount } errors { code message } }
  }
`);
const CREATE_POST = gql(`
  mutation PostPicture($ids: [ID!]) {
    createPost(input: { body: "", mediaIds: $ids }) { post { id media { url } } errors { code } }
  }
`);
const LATEST_NOTIFICATION = gql(`query LatestNotification { notifications(first: 1) { edges { cursor } } }`);
const NOTIFICATION_ADDED = gql(`
  subscription NotificationAdded($after: String) {
    notificationAdded(after: $after) {
      cursor
      unreadNotificationCount
      notification { kind createdAt actor { username } post { id body } }
    }
  }
`);

async function signIn() {
  const login = await client.mutate({
    mutation: LOGIN,
    variables: { input: { login: USERNAME, password: PASSWORD } },
  });
  let payload = login.data.login;
  if (payload.errors.some((e) => e.code === "INVALID_CREDENTIALS")) {
    // Unknown user, or a known one with another password: registering tells them apart.
    const registered = await client.mutate({
      mutation: REGISTER,
      variables: { input: { username: USERNAME, email: EMAIL, password: PASSWORD } },
    });
    const attempt = registered.data.register;
    if (attempt.errors.some((e) => e.field === "username" && e.code === "TAKEN")) {
      throw new Failure(
        `wrong password for ${USERNAME} (the account exists; check PASSWORD)`,
        EXIT.SIGN_IN_REFUSED,
      );
    }
    if (attempt.errors.length > 0) {
      const reasons = attempt.errors.map((e) => `${e.field ?? e.code}: ${e.message}`).join("; ");
      throw new Failure(
        `cannot register ${USERNAME} (no account by that name yet): ${reasons}`,
        EXIT.SIGN_IN_REFUSED,
      );
    }
    payload = attempt;
    print("registered", { username: payload.user.username });
  }
  if (payload.errors.length > 0) {
    const reasons = payload.errors.map((e) => `${e.code}: ${e.message}`).join("; ");
    throw new Failure(`sign-in refused: ${reasons}`, EXIT.SIGN_IN_REFUSED);
  }
  accessToken = payload.accessToken;
  print("signed_in", { username: payload.user.username, id: payload.user.id });
}

async function readHomeFeed() {
  const { data } = await client.query({ query: HOME_FEED, variables: { first: 5 } });
  const posts = data.homeFeed.edges.map(({ node }) => ({
    author: node.author.username,
    body: node.body,
    likes: node.likeCount,
  }));
  print("home_feed", { count: posts.length, posts });
}

async function follow(username) {
  const { data } = await client.query({ query: USER, variables: { username } });
  if (!data.user) throw new Error(`no user named ${username}`);
  const result = await client.mutate({ mutation: FOLLOW_USER, variables: { userId: data.user.id } });
  const payload = result.data.followUser;
  if (payload.errors.length > 0) throw new Error(`follow failed: ${JSON.stringify(payload.errors)}`);
  print("followed", { username: payload.user.username, followers: payload.user.followerCount });
}

// Uploads follow the GraphQL multipart request spec: `operations` (the request, with null
// where the file goes), `map` (which file part goes there), then the file itself. Plain
// fetch and FormData are enough; apollo-upload-client's UploadHttpLink sends the same.
async function postPicture(path) {
  const operations = {
    query: `mutation Upload($file: Upload!, $alt: String) {
      uploadMedia(file: $file, altText: $alt) { media { id url thumbnailUrl width height } errors { code message } }
    }`,
    variables: { file: null, alt: `A picture by ${USERNAME}` },
  };
  const form = new FormData();
  form.append("operations", JSON.stringify(operations));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", new Blob([await readFile(path)]), basename(path));
  const response = await fetch(API_URL, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}` },
    body: form,
  });
  const uploaded = (await response.json()).data?.uploadMedia;
  if (!uploaded || uploaded.errors.length > 0) throw new Error(`upload failed: ${JSON.stringify(uploaded?.errors)}`);
  const result = await client.mutate({ mutation: CREATE_POST, variables: { ids: [uploaded.media.id] } });
  const payload = result.data.createPost;
  if (payload.errors.length > 0) throw new Error(`post failed: ${JSON.stringify(payload.errors)}`);
  const { width, height, thumbnailUrl } = uploaded.media;
  print("posted_picture", { post: payload.post.id, width, height, thumbnailUrl });
}

async function listen() {
  // From the newest notification we know of: the server sends anything newer
  // first, so nothing created between this query and the subscription is lost.
  const { data } = await client.query({ query: LATEST_NOTIFICATION });
  const after = data.notifications.edges[0]?.cursor ?? null;
  let received = 0;
  await new Promise((resolve, reject) => {
    const subscription = client.subscribe({ query: NOTIFICATION_ADDED, variables: { after } }).subscribe({
      next: ({ data: event, error }) => {
        if (error) return reject(error);
        const { notification } = event.notificationAdded;
        print("notification", {
          kind: notification.kind,
          actor: notification.actor.username,
          post: notification.post?.body ?? null,
          unread: event.notificationAdded.unreadNotificationCount,
        });
        received += 1;
        if (EXIT_AFTER_EVENTS && received >= EXIT_AFTER_EVENTS) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
      complete: resolve,
    });
    print("listening", { after });
  });
}

try {
  await signIn();
  await readHomeFeed();
  if (FOLLOW) await follow(FOLLOW);
  if (PICTURE) await postPicture(PICTURE);
  await listen();
  await wsClient.dispose();
  process.exit(0);
} catch (error) {
  const unreachable = networkCause(error);
  if (unreachable) {
    print("error", { message: `cannot reach API_URL ${API_URL} (${unreachable}): is the server running?` });
    process.exit(EXIT.UNREACHABLE);
  }
  if (socketFailure) {
    print("error", {
      message: `cannot open a WebSocket to ${WS_URL} (${socketFailure}): HTTP works, so the server, or a proxy before it, does not take WebSocket upgrades there`,
    });
    process.exit(EXIT.UNREACHABLE);
  }
  const status = notTheApi(error);
  if (status) {
    print("error", {
      message: `API_URL ${API_URL} answered HTTP ${status}, not as the GraphQL API: is it the server's /graphql URL (e.g. http://127.0.0.1:8000/graphql)?`,
    });
    process.exit(EXIT.UNREACHABLE);
  }
  print("error", { message: apiError(error) ?? graphqlError(error) ?? String(error?.message ?? error) });
  process.exit(error instanceof Failure ? error.exitCode : EXIT.FAILED);
}
