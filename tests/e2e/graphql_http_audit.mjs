// The GraphQL-over-HTTP audit of graphql-http (its own MUST, SHOULD and MAY checks) against
// a running server; prints one JSON line: each check that is not ok, with its reason.
import { auditServer } from 'graphql-http';

const results = await auditServer({ url: process.env.API_URL });
const notOk = results
  .filter((result) => result.status !== 'ok')
  .map(({ id, status, name, reason }) => ({ id, status, name, reason }));
console.log(JSON.stringify({ total: results.length, notOk }));
