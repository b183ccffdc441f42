// Subscription load driver: N graphql-transport-ws clients (the graphql-ws library over
// `ws`), each signed in as its own user, spread over the given servers.
//
//   node subs.mjs CONFIG.json
//
// CONFIG: { urls: [ws://...], httpUrls: [http://...], clients: [{user, token}], connectConcurrency,
//           targeted: [{token, postId}], targetedRate, broadcast: {token, posts, gapMs,
//           expected}, waitMs }
//
// Phases, each announced as one JSON line on stdout:
//   connected  every client has a socket and both subscriptions sent; the driver then
//              waits for a line on stdin (the orchestrator samples server memory and
//              checks every subscription is live before answering "go")
//   targeted   likePost mutations, each producing one notification for one client;
//              delivered vs sent and latency from the notification's createdAt
//   broadcast  createPost by one author: homeFeedPostAdded to every online follower
//   result     all figures
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const now = () => performance.timeOrigin + performance.now();
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const NOTIFICATIONS = `subscription {
  notificationAdded { cursor unreadNotificationCount
    notification { id kind createdAt actor { username } post { id } } }
}`;
const FEED = `subscription { homeFeedPostAdded { id createdAt body author { username } } }`;
const LIKE = `mutation($id: ID!) { likePost(postId: $id) { post { id viewerHasLiked } errors { code message } } }`;
const POST = `mutation($body: String!) { createPost(input: {body: $body}) { post { id createdAt } errors { code message } } }`;

const stats = {
  connectErrors: 0,
  closedEarly: 0,
  subscriptionErrors: 0,
  firstError: null,
  notifications: [], // latency ms per received notification (createdAt -> receipt)
  feed: new Map(), // post id -> [latency ms from the post's createdAt]
  // Diagnostics: when each liked post's notification arrived and its mutation answered.
  receivedAt: new Map(),
  answeredAt: new Map(),
};
let phase = "connect";

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x) => (x === null ? null : Math.round(x * 10) / 10);
  return {
    count: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted.at(-1) ?? null),
  };
}

function noteError(error) {
  stats.firstError ??= String(error?.message ?? JSON.stringify(error)).slice(0, 300);
}

function connect(client, index) {
  return new Promise((resolve) => {
    let settled = false;
    // A handshake the server never answers must not stall the ramp.
    const timer = setTimeout(() => {
      noteError(new Error("no connection_ack within 30 s"));
      done(false);
    }, 30000);
    const done = (ok) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        if (!ok) stats.connectErrors++;
        resolve(ok);
      }
    };
    const ws = createClient({
      url: config.urls[index % config.urls.length],
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${client.token}` },
      lazy: false,
      retryAttempts: 0,
      keepAlive: 0,
      on: {
        connected: () => done(true),
        closed: (event) => {
          if (!settled) noteError(event?.reason || `closed ${event?.code}`);
          else if (phase !== "done") stats.closedEarly++;
          done(false);
        },
        error: (error) => {
          noteError(error);
          done(false);
        },
      },
    });
    const sink = (onData) => ({
      next: (message) => {
        if (message.errors) {
          stats.subscriptionErrors++;
          noteError(message.errors[0]);
          return;
        }
        onData(message.data, now());
      },
      error: (error) => {
        stats.subscriptionErrors++;
        noteError(error);
      },
      complete: () => {},
    });
    ws.subscribe(
      { query: NOTIFICATIONS },
      sink((data, at) => {
        const n = data.notificationAdded.notification;
        stats.notifications.push(at - Date.parse(n.createdAt));
        stats.receivedAt.set(n.post?.id, at);
      }),
    );
    ws.subscribe(
      { query: FEED },
      sink((data, at) => {
        const post = data.homeFeedPostAdded;
        if (!stats.feed.has(post.id)) stats.feed.set(post.id, []);
        stats.feed.get(post.id).push(at - Date.parse(post.createdAt));
      }),
    );
    client.ws = ws;
  });
}

let nextHttp = 0;
async function gql(token, query, variables) {
  // Mutations go to every server in turn, like a load balancer would send them.
  const url = config.httpUrls[nextHttp++ % config.httpUrls.length];
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

async function waitForGo() {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === "go") return;
  }
}

// Connect with bounded concurrency, so the servers see a ramp, not a SYN flood.
const started = now();
const clients = config.clients;
let next = 0;
let connected = 0;
await Promise.all(
  Array.from({ length: Math.min(config.connectConcurrency ?? 200, clients.length) }, async () => {
    while (next < clients.length) {
      const index = next++;
      if (await connect(clients[index], index)) connected++;
    }
  }),
);
emit({
  phase: "connected",
  connected,
  connect_errors: stats.connectErrors,
  seconds: Math.round(now() - started) / 1000,
  first_error: stats.firstError,
});
await waitForGo();

// Targeted: one like per mutation, sent at a fixed rate; each must notify one client.
phase = "targeted";
stats.notifications = [];
let sent = 0;
let mutationErrors = 0;
const interval = 1000 / (config.targetedRate ?? 50);
const targetedStart = now();
const inflight = [];
for (const [i, like] of (config.targeted ?? []).entries()) {
  const due = targetedStart + i * interval;
  if (due > now()) await sleep(due - now());
  inflight.push(
    gql(like.token, LIKE, { id: like.postId }).then((result) => {
      stats.answeredAt.set(like.postId, now());
      const payload = result.data?.likePost;
      if (payload && !payload.errors.length && payload.post?.viewerHasLiked) sent++;
      else {
        mutationErrors++;
        noteError(result.errors?.[0] ?? payload?.errors?.[0]);
      }
    }),
  );
}
await Promise.all(inflight);
const deadline = now() + (config.waitMs ?? 10000);
while (stats.notifications.length < sent && now() < deadline) await sleep(50);
await sleep(config.lateMs ?? 500); // late duplicates would show up as delivered > sent
// Receipt minus the mutation's HTTP answer (negative: the event beat the answer).
const afterAnswer = [];
for (const [postId, answered] of stats.answeredAt) {
  if (stats.receivedAt.has(postId)) afterAnswer.push(stats.receivedAt.get(postId) - answered);
}
const targeted = {
  sent,
  mutation_errors: mutationErrors,
  delivered: stats.notifications.length,
  ...summary(stats.notifications),
  after_answer: summary(afterAnswer),
};
emit({ phase: "targeted", ...targeted });

// Broadcast: the author posts; every online follower (and the author) gets the post.
phase = "broadcast";
const broadcasts = [];
for (let i = 0; i < (config.broadcast?.posts ?? 0); i++) {
  emit({ phase: "broadcast_post_start", post: i + 1 });
  const sentAt = now();
  const result = await gql(config.broadcast.token, POST, {
    body: `Broadcast ${i + 1} to every follower, run ${Math.round(sentAt)}`,
  });
  const post = result.data?.createPost?.post;
  if (!post) {
    noteError(result.errors?.[0] ?? result.data?.createPost?.errors?.[0]);
    continue;
  }
  const until = now() + (config.waitMs ?? 10000);
  while ((stats.feed.get(post.id)?.length ?? 0) < config.broadcast.expected && now() < until) {
    await sleep(20);
  }
  await sleep(config.lateMs ?? 300);
  const latencies = stats.feed.get(post.id) ?? [];
  broadcasts.push({
    expected: config.broadcast.expected,
    delivered: latencies.length,
    all_arrived_ms: latencies.length ? Math.round(Math.max(...latencies)) : null,
    ...summary(latencies),
  });
  emit({ phase: "broadcast_post", post: i + 1, delivered: latencies.length });
  if (i + 1 < config.broadcast.posts) await sleep(config.broadcast.gapMs ?? 1000);
}
emit({ phase: "broadcast", broadcasts });

phase = "done";
emit({
  phase: "result",
  clients: clients.length,
  connected,
  connect_errors: stats.connectErrors,
  closed_early: stats.closedEarly,
  subscription_errors: stats.subscriptionErrors,
  first_error: stats.firstError,
  targeted,
  broadcasts,
});
for (const client of clients) client.ws?.dispose();
setTimeout(() => process.exit(0), 500);
