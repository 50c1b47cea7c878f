// GraphiQL for IAFactory, every asset served by the server itself (no CDN).
// The default tab holds example operations; after "Login" (or "Register") runs, its access
// token is sent with the next requests unless the Headers tab sets an Authorization itself.
(function () {
  "use strict";

  const EXAMPLES = `# IAFactory GraphQL explorer
# 1. Fill the variables below and run "Login"
#    (or "Register" for a workspace of your own).
#    Its access token is then sent with the next
#    operations, unless the Headers tab sets
#    {"Authorization": "Bearer <token>"} itself.
# 2. Run "Me", "Projects" or "Search".
#    Ctrl-Enter runs the operation under the cursor.

mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    accessToken
    expiresAt
    viewer { user { email } tenant { name plan } role }
  }
}

mutation Register($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) {
    accessToken
    viewer { tenant { name slug } }
  }
}

query Me {
  me {
    user { id email fullName }
    tenant { id name slug plan status }
    role
    memberships { role tenant { name slug } }
    tokenExpiresAt
  }
}

query Projects($after: String) {
  projects(first: 10, after: $after) {
    totalCount
    nodes { id name description createdAt }
    pageInfo { hasNextPage endCursor }
  }
}

query Search($query: String!) {
  searchKnowledge(query: $query, first: 5) {
    score
    snippet
    document { id title }
  }
}

subscription Progress($id: ID!) {
  transcriptionProgress(id: $id) {
    transcription { status progress text }
    segment { start end text }
  }
}
`;
  const VARIABLES = JSON.stringify(
    { email: "admin@iafactory.demo", password: "", query: "réseaux de neurones", id: "" },
    null,
    2,
  );
  const SIGN_IN_FIELDS = ["login", "register", "refreshToken", "switchTenant", "acceptInvitation",
    "changePassword", "resetPassword", "enterTenantAsSupport"];

  const url = new URL(window.location.pathname, window.location.origin).toString();
  const subscriptionUrl = url.replace(/^http/, "ws");
  let capturedToken = null;

  function withCapturedToken(headers) {
    const merged = Object.assign({}, headers || {});
    const named = Object.keys(merged).some((key) => key.toLowerCase() === "authorization");
    if (!named && capturedToken) merged.Authorization = "Bearer " + capturedToken;
    return merged;
  }

  function capture(result) {
    const data = result && result.data;
    if (!data) return;
    for (const field of SIGN_IN_FIELDS) {
      if (data[field] && data[field].accessToken) capturedToken = data[field].accessToken;
    }
    if (data.logout === true) capturedToken = null;
  }

  const base = GraphiQL.createFetcher({ url, subscriptionUrl });

  function fetcher(params, options) {
    const result = base(params, Object.assign({}, options, { headers: withCapturedToken(options && options.headers) }));
    if (result && typeof result.then === "function") {
      return result.then((value) => { capture(value); return value; });
    }
    return result; // a subscription (async iterable)
  }

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultTabs: [{ query: EXAMPLES, variables: VARIABLES }],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }),
  );
})();
