// The active tenant's audit log (OWNER or ADMIN), support sessions' reasons included.
import { html, useEffect, useState } from "../lib/html.js";
import { formatDate, t } from "../lib/i18n.js";
import { useCursor } from "../lib/hooks.js";
import { call } from "../lib/session.js";
import { isNotServed } from "../lib/errors.js";
import { AUDIT_LOG, AUDIT_LOG_V1 } from "../lib/operations.js";
import { Alert, Empty, Loading, PageHeader, Pager } from "../components/widgets.js";

export function AuditPage() {
  const cursor = useCursor();
  const [state, setState] = useState({ page: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        return (await call(AUDIT_LOG, { after: cursor.after })).auditLog;
      } catch (error) {
        // A server without AuditEntry.details (contract v1.1) still shows the log.
        if (isNotServed(error)) return (await call(AUDIT_LOG_V1, { after: cursor.after })).auditLog;
        throw error;
      }
    };
    setState((previous) => ({ ...previous, loading: true }));
    load().then((page) => live && setState({ page, error: null, loading: false }),
      (error) => live && setState({ page: null, error, loading: false }));
    return () => { live = false; };
  }, [cursor.after]);
  const { page, error, loading } = state;
  return html`<section>
    <${PageHeader} title=${t("audit.title")} />
    <${Alert} error=${error} />
    ${loading && !page ? html`<${Loading} />` : page && (page.nodes.length === 0 ? html`<${Empty}>${t("audit.empty")}</${Empty}>` : html`
      <div class="table-wrap"><table class="table">
        <thead><tr><th>${t("audit.when")}</th><th>${t("audit.who")}</th><th>${t("audit.action")}</th><th>${t("audit.target")}</th><th>${t("audit.details")}</th></tr></thead>
        <tbody>${page.nodes.map((entry) => html`<tr class=${entry.action.startsWith("support.") ? "support-row" : ""}>
          <td>${formatDate(entry.at)}</td>
          <td>${entry.actor ? entry.actor.fullName || entry.actor.email : "—"}</td>
          <td><code>${entry.action}</code></td>
          <td>${entry.targetType || ""}${entry.targetId ? html` <small class="muted">${entry.targetId.slice(0, 8)}</small>` : ""}</td>
          <td>${entry.details || ""}</td>
        </tr>`)}</tbody>
      </table></div>`)}
    <${Pager} page=${cursor.page} pageInfo=${page && page.pageInfo} onPrevious=${cursor.previous} onNext=${cursor.next} />
  </section>`;
}
