// A clear message for every contract error code (contract.graphql), in the console's language.
import { t } from "./i18n.js";

const CODES = new Set([
  "UNAUTHENTICATED", "TENANT_REQUIRED", "TENANT_SUSPENDED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT",
  "CONFLICT", "RATE_LIMITED", "QUOTA_EXCEEDED", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
  "QUERY_TOO_COMPLEX", "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_ALLOWED", "INTERNAL", "NETWORK",
]);
// What a server that does not serve a field yet answers (GraphQL validation).
const NOT_SERVED = /^(Cannot query field|Unknown argument|Unknown type|Field .* argument .* of type .* is required)/;

export function isNotServed(error) {
  return Boolean(error && error.code === "BAD_USER_INPUT" && NOT_SERVED.test(error.message || ""));
}

// { title, detail, reference }: title says what happened and what to do; detail is the
// server's own message where it is specific (a field's validation, a quota's name).
export function describe(error) {
  if (!error) return null;
  if (isNotServed(error)) return { title: t("errors.NOT_SERVED"), detail: "", reference: error.requestId };
  const code = CODES.has(error.code) ? error.code : "INTERNAL";
  const title = code === "RATE_LIMITED" && error.retryAfter != null
    ? t("errors.RATE_LIMITED_RETRY", { seconds: Math.max(1, Math.ceil(error.retryAfter)) })
    : t(`errors.${code}`);
  const specific = ["BAD_USER_INPUT", "CONFLICT", "QUOTA_EXCEEDED", "UNSUPPORTED_MEDIA_TYPE", "FORBIDDEN", "NOT_FOUND"];
  const detail = specific.includes(code) && error.message && error.message !== code ? error.message : "";
  return { title, detail, reference: error.requestId || null, code };
}
