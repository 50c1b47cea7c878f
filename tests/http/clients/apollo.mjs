// Apollo Client 4 against a real server, one scenario per run, printed as JSON.
//   node apollo.mjs rate-limited URL TOKEN          two queries; the second is over the budget
//   node apollo.mjs persisted URL TOKEN             createPersistedQueryLink, three runs of a query
//   node apollo.mjs trusted URL TOKEN MANIFEST      a trusted-documents server (Apollo manifest)
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { CombinedGraphQLErrors } from "@apollo/client/errors";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { generatePersistedQueryIdsFromManifest } from "@apollo/persisted-query-lists";

const [scenario, uri, token, manifestPath] = process.argv.slice(2);
const sent = []; // what went over the wire, in order

async function recordingFetch(input, init) {
  const url = new URL(input);
  const body = init.body ? JSON.parse(init.body) : Object.fromEntries(url.searchParams);
  const extensions = typeof body.extensions === "string" ? JSON.parse(body.extensions) : body.extensions;
  const response = await fetch(input, init);
  sent.push({
    method: init.method || "GET",
    query: Boolean(body.query),
    hash: Boolean(extensions?.persistedQuery),
    status: response.status,
    contentType: response.headers.get("content-type"),
  });
  return response;
}

function client(...links) {
  const http = new HttpLink({ uri, fetch: recordingFetch, headers: { Authorization: `Bearer ${token}` } });
  return new ApolloClient({ link: ApolloLink.from([...links, http]), cache: new InMemoryCache() });
}

// {data} or {error: {name, code, retryAfter, message}}: what an application sees.
async function outcome(promise) {
  try {
    const { data } = await promise;
    return { data };
  } catch (error) {
    const first = CombinedGraphQLErrors.is(error) ? error.errors[0] : null;
    return {
      error: {
        name: error.name,
        graphQLError: Boolean(first),
        code: first?.extensions?.code ?? null,
        retryAfter: first?.extensions?.retryAfter ?? null,
        message: error.message,
      },
    };
  }
}

// The operations a trusted-documents client ships: Apollo's generate-persisted-query-manifest
// builds the server's manifest from these same files.
const shipped = (name) => gql(readFileSync(new URL(`trusted/${name}.graphql`, import.meta.url), "utf-8"));
const PROJECTS = shipped("TrustedProjects");
const CREATE = shipped("TrustedCreateProject");
const SNEAKY = gql`
  mutation SneakyCreateProject {
    createProject(input: { name: "sneaky" }) {
      id
    }
  }
`;
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const results = {};

if (scenario === "rate-limited") {
  const apollo = client();
  const query = gql`
    query Me {
      me {
        role
      }
    }
  `;
  results.first = await outcome(apollo.query({ query, fetchPolicy: "network-only" }));
  results.second = await outcome(apollo.query({ query, fetchPolicy: "network-only" }));
} else if (scenario === "persisted") {
  const apollo = client(createPersistedQueryLink({ sha256, useGETForHashedQueries: true }));
  results.runs = [];
  for (let run = 0; run < 3; run++) {
    results.runs.push(await outcome(apollo.query({ query: PROJECTS, fetchPolicy: "network-only" })));
  }
} else if (scenario === "trusted") {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf-8"));
  // Apollo's recommended setup: ids come from the manifest, the text never leaves the client.
  const byManifest = client(
    createPersistedQueryLink(generatePersistedQueryIdsFromManifest({ loadManifest: () => manifest })),
  );
  results.listedQuery = await outcome(byManifest.query({ query: PROJECTS, fetchPolicy: "network-only" }));
  results.listedMutation = await outcome(byManifest.mutate({ mutation: CREATE, variables: { name: "listed" } }));
  // A client that sends whatever it likes: full text, then an APQ hash of an unlisted text.
  results.unlistedText = await outcome(client().mutate({ mutation: SNEAKY }));
  results.unlistedHash = await outcome(client(createPersistedQueryLink({ sha256 })).mutate({ mutation: SNEAKY }));
  results.listedText = await outcome(client().query({ query: PROJECTS, fetchPolicy: "network-only" }));
} else {
  throw new Error(`unknown scenario ${scenario}`);
}
results.sent = sent;
console.log(JSON.stringify(results));
