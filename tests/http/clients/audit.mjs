// The GraphQL-over-HTTP specification's own server audit (graphql-http's auditServer),
// printed as JSON: [{id, name, status: "ok" | "warn" | "error", reason}].
//   node audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from "graphql-http";

const [url] = process.argv.slice(2);
const results = await auditServer({ url });
console.log(JSON.stringify(results.map(({ id, name, status, reason }) => ({ id, name, status, reason }))));
