// HTTP load driver: autocannon against one URL, rotating bearer tokens, one JSON line out.
//
//   node http.mjs --url URL --body FILE --tokens FILE [--connections 20] [--duration 20]
//                 [--warmup 3]
//
// FILE (body) is the JSON request body; FILE (tokens) a JSON list of access tokens, used
// round-robin so the page is computed for many viewers. A response whose body carries
// GraphQL "errors" counts as an error, like a non-2xx status.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    body: { type: "string" },
    tokens: { type: "string" },
    connections: { type: "string", default: "20" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
  },
});

const body = readFileSync(args.body, "utf8");
const tokens = JSON.parse(readFileSync(args.tokens, "utf8"));
let next = 0;
let graphqlErrors = 0;
let firstError = null;

function run(duration) {
  return autocannon({
    url: args.url,
    connections: Number(args.connections),
    duration: Number(duration),
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    requests: [
      {
        setupRequest(request) {
          request.headers = {
            ...request.headers,
            authorization: `Bearer ${tokens[next++ % tokens.length]}`,
          };
          return request;
        },
        onResponse(status, responseBody) {
          if (responseBody && responseBody.includes('"errors"')) {
            graphqlErrors++;
            firstError ??= responseBody.slice(0, 300);
          }
        },
      },
    ],
  });
}

if (Number(args.warmup) > 0) await run(args.warmup);
graphqlErrors = 0;
const result = await run(args.duration);
console.log(
  JSON.stringify({
    url: args.url,
    connections: Number(args.connections),
    duration_s: Number(args.duration),
    requests: result.requests.total,
    rps: result.requests.total / Number(args.duration),
    p50_ms: result.latency.p50,
    p90_ms: result.latency.p90,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    graphql_errors: graphqlErrors,
    first_error: firstError,
  }),
);
