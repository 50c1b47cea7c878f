// The active tenant's consumption against its plan.
import { html } from "../lib/html.js";
import { formatBytes, formatNumber, t } from "../lib/i18n.js";
import { useQuery } from "../lib/hooks.js";
import { USAGE } from "../lib/operations.js";
import { useViewer } from "../lib/viewer.js";
import { Alert, Loading, PageHeader } from "../components/widgets.js";

function Meter({ label, used, limit, format }) {
  const ratio = limit ? Math.min(1, used / limit) : 0;
  const level = ratio >= 1 ? "full" : ratio >= 0.8 ? "high" : "ok";
  return html`<div class="meter card">
    <div class="meter-head"><strong>${label}</strong>
      <span>${format(used)} / ${limit == null ? t("usage.unlimited") : format(limit)}</span></div>
    ${limit != null && html`<div class=${`meter-bar ${level}`} role="meter" aria-label=${label} aria-valuemin="0"
        aria-valuemax=${limit} aria-valuenow=${used}><div style=${`width:${Math.round(ratio * 100)}%`}></div></div>`}
  </div>`;
}

export function UsagePage() {
  const viewer = useViewer();
  const { data, error, loading } = useQuery(USAGE);
  const usage = data && data.usage;
  const minutes = (seconds) => t("usage.minutes", { minutes: formatNumber(Math.round((seconds || 0) / 60)) });
  return html`<section>
    <${PageHeader} title=${t("usage.title")}>
      <span class="badge">${t("usage.plan", { plan: viewer.active.tenant.plan })}</span>
    </${PageHeader}>
    <${Alert} error=${error} />
    ${loading && !usage ? html`<${Loading} />` : usage && html`<div class="meters">
      <${Meter} label=${t("usage.projects")} used=${usage.projects} limit=${usage.limits.maxProjects} format=${formatNumber} />
      <${Meter} label=${t("usage.storage")} used=${usage.storageBytes} limit=${usage.limits.maxStorageBytes} format=${formatBytes} />
      <${Meter} label=${t("usage.audio")} used=${usage.audioSecondsThisMonth} limit=${usage.limits.maxAudioSecondsPerMonth} format=${minutes} />
      <div class="meter card"><div class="meter-head"><strong>${t("usage.documents")}</strong><span>${formatNumber(usage.documents)}</span></div></div>
      <div class="meter card"><div class="meter-head"><strong>${t("usage.rate")}</strong>
        <span>${t("usage.perMinute", { count: formatNumber(usage.limits.requestsPerMinute) })}</span></div></div>
    </div>`}
  </section>`;
}
