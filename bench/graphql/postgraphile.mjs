// PostGraphile v5 on IAFactory's own database, set up as issue 10 describes, so that the
// bench compares the two servers on the same tables and the same RLS policies.
//
// The bench copies this file next to the npm install (outside the repository: node resolves
// `postgraphile` from the script's own folder) and runs it with Node 22:
//   DATABASE_URL=... JWT_SECRET=... PORT=... NODE_ENV=production node postgraphile.mjs
import { createServer } from "node:http";

import jwt from "jsonwebtoken";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { makeV4Preset } from "postgraphile/presets/v4";

const { DATABASE_URL, JWT_SECRET, PORT } = process.env;

// Our access token, verified exactly as iafactory/auth/tokens.py does (HS256 pinned, iss, aud).
function claimsOf(request) {
  const header = request?.headers.authorization ?? "";
  if (!header.startsWith("Bearer ")) return null;
  return jwt.verify(header.slice("Bearer ".length), JWT_SECRET, {
    algorithms: ["HS256"],
    audience: "iafactory-api",
    issuer: "iafactory",
  });
}

const preset = {
  extends: [makeV4Preset({ graphiql: false, watchPg: false, showErrorStack: false })],
  pgServices: [
    makePgService({ connectionString: DATABASE_URL, schemas: ["public"], poolConfig: { max: 10 } }),
  ],
  grafast: {
    // Always the app role: an anonymous request must not run as the pool's superuser login.
    context(requestContext) {
      const claims = claimsOf(requestContext.node?.req);
      return {
        pgSettings: {
          role: "iafactory_app",
          "app.tenant_id": claims?.tenant_id ?? "",
          "app.user_id": claims?.sub ?? "",
        },
      };
    },
  },
};

const serv = postgraphile(preset).createServ(grafserv);
const server = createServer();
server.once("listening", () => console.log(`postgraphile listening on ${PORT}`));
await serv.addTo(server);
server.listen(Number(PORT), "127.0.0.1");
