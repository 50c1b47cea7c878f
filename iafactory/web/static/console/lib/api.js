// GraphQL over HTTP (POST, JSON) and the GraphQL multipart request spec for uploads.
// Every failure becomes an ApiError carrying the contract code (errors.js words it).

export const ENDPOINT = new URL("graphql", document.baseURI).toString();
const ACCEPT = "application/graphql-response+json, application/json";

export class ApiError extends Error {
  constructor({ code, message, retryAfter = null, requestId = null, status = null }) {
    super(message || code);
    this.code = code;
    this.retryAfter = retryAfter;
    this.requestId = requestId;
    this.status = status;
  }
}

function headerRetryAfter(headers) {
  const value = headers && headers.get ? headers.get("Retry-After") : null;
  return value && /^\d+$/.test(value) ? Number(value) : null;
}

// The answer's data, or an ApiError for its first error (the contract puts the code there).
export function readResult(body, { status = null, headers = null } = {}) {
  const errors = body && Array.isArray(body.errors) ? body.errors : [];
  if (errors.length) {
    const first = errors[0];
    const extensions = first.extensions || {};
    throw new ApiError({
      code: extensions.code || "INTERNAL",
      message: first.message,
      retryAfter: extensions.retryAfter ?? headerRetryAfter(headers),
      requestId: extensions.requestId || (headers && headers.get ? headers.get("X-Request-ID") : null),
      status,
    });
  }
  if (!body || body.data == null) {
    throw new ApiError({ code: status === 413 ? "PAYLOAD_TOO_LARGE" : "INTERNAL", status });
  }
  return body.data;
}

async function decode(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    const code = response.status === 413 ? "PAYLOAD_TOO_LARGE" : response.status === 429 ? "RATE_LIMITED" : "INTERNAL";
    throw new ApiError({ code, status: response.status, retryAfter: headerRetryAfter(response.headers),
      requestId: response.headers.get("X-Request-ID") });
  }
  return readResult(body, { status: response.status, headers: response.headers });
}

function authHeaders(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export async function graphql(query, variables = {}, { token = null, signal = undefined } = {}) {
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: ACCEPT, ...authHeaders(token) },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError({ code: "NETWORK" });
  }
  return decode(response);
}

// One file as `variables.file`, per the GraphQL multipart request spec. XMLHttpRequest rather
// than fetch: it reports upload progress. Apollo-Require-Preflight satisfies the CSRF guard.
export function upload(query, variables, file, { token = null, onProgress = () => {} } = {}) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query, variables: { ...variables, file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", file, file.name);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", ENDPOINT);
    request.setRequestHeader("Accept", ACCEPT);
    request.setRequestHeader("Apollo-Require-Preflight", "true");
    for (const [name, value] of Object.entries(authHeaders(token))) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(new ApiError({ code: "NETWORK" }));
    request.onload = () => {
      const headers = { get: (name) => request.getResponseHeader(name) };
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        const code = request.status === 413 ? "PAYLOAD_TOO_LARGE" : "INTERNAL";
        reject(new ApiError({ code, status: request.status, requestId: headers.get("X-Request-ID") }));
        return;
      }
      try {
        resolve(readResult(body, { status: request.status, headers }));
      } catch (error) {
        reject(error);
      }
    };
    request.send(form);
  });
}
