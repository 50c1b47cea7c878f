// Subscriptions over graphql-transport-ws with the vendored graphql-ws client. The token goes
// in connection_init ({"Authorization": "Bearer <jwt>"}), read afresh at each (re)connection.
import { createClient } from "../../vendor/graphql-ws/client.js";
import { ApiError, ENDPOINT, readResult } from "./api.js";
import { accessToken } from "./session.js";

const WS_ENDPOINT = ENDPOINT.replace(/^http/, "ws");

function closeError(event) {
  const code = event && typeof event.code === "number" ? event.code : null;
  if (code === 4401 || code === 4403) return new ApiError({ code: "UNAUTHENTICATED" });
  if (code === 4429) return new ApiError({ code: "RATE_LIMITED" });
  return new ApiError({ code: "NETWORK" });
}

// subscribe(query, variables, { next(data), error(ApiError), complete() }) -> stop()
export function subscribe(query, variables, { next, error, complete }) {
  const client = createClient({
    url: WS_ENDPOINT,
    lazy: true,
    retryAttempts: 5,
    connectionParams: async () => {
      const token = await accessToken();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
  });
  let stopped = false;
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        try {
          next(readResult(result));
        } catch (failure) {
          error(failure);
        }
      },
      error: (failure) => {
        if (stopped) return;
        if (Array.isArray(failure)) error(readResultError(failure));
        else error(failure instanceof ApiError ? failure : closeError(failure));
      },
      complete: () => complete && complete(),
    },
  );
  return () => {
    stopped = true;
    dispose();
    client.dispose();
  };
}

function readResultError(errors) {
  try {
    readResult({ errors });
  } catch (failure) {
    return failure;
  }
  return new ApiError({ code: "INTERNAL" });
}
