// Super-admin: every tenant (create, change plan, suspend or resume) and support sessions.
import { html, useState } from "../lib/html.js";
import { formatDate, t } from "../lib/i18n.js";
import { useAction, useCursor, useQuery } from "../lib/hooks.js";
import { navigate } from "../lib/router.js";
import * as session from "../lib/session.js";
import { CREATE_TENANT, ENTER_AS_SUPPORT, TENANTS, UPDATE_TENANT } from "../lib/operations.js";
import { useViewer } from "../lib/viewer.js";
import { Alert, ConfirmButton, Empty, Field, Loading, Notice, PageHeader, Pager } from "../components/widgets.js";

const PLANS = ["FREE", "PRO", "ENTERPRISE"];

function CreateTenant({ onCreated }) {
  const action = useAction(async (form) => {
    const values = Object.fromEntries(new FormData(form).entries());
    const input = { name: values.name.trim(), slug: values.slug.trim(), plan: values.plan };
    if (values.region.trim()) input.region = values.region.trim();
    if (values.ownerEmail.trim()) input.ownerEmail = values.ownerEmail.trim();
    await session.call(CREATE_TENANT, { input });
    form.reset();
    onCreated();
  });
  return html`<form class="card stack" aria-label=${t("admin.create")}
      onSubmit=${(event) => { event.preventDefault(); action.run(event.currentTarget); }}>
    <h2 class="card-title">${t("admin.create")}</h2>
    <div class="inline-form">
      <${Field} label=${t("admin.name")}><input name="name" required /></${Field}>
      <${Field} label=${t("admin.slug")}><input name="slug" required pattern="[a-z0-9][a-z0-9-]*" /></${Field}>
      <${Field} label=${t("admin.plan")}><select name="plan">${PLANS.map((plan) => html`<option value=${plan}>${plan}</option>`)}</select></${Field}>
      <${Field} label=${t("admin.region")}><input name="region" placeholder="DZ" maxlength="8" /></${Field}>
      <${Field} label=${t("admin.owner")}><input name="ownerEmail" type="email" /></${Field}>
    </div>
    <${Alert} error=${action.error} />
    <div><button type="submit" disabled=${action.busy}>${t("admin.createButton")}</button></div>
  </form>`;
}

function SupportForm({ tenant, onDone }) {
  const action = useAction(async (form) => {
    const reason = new FormData(form).get("reason").trim();
    const { enterTenantAsSupport } = await session.call(ENTER_AS_SUPPORT, { tenantId: tenant.id, reason });
    session.enterSupport(enterTenantAsSupport);
    navigate("/projects");
  });
  return html`<form class="inline-form support-form" onSubmit=${(event) => { event.preventDefault(); action.run(event.currentTarget); }}>
    <${Field} label=${t("support.reason")} hint=${t("support.reasonHint")}><input name="reason" required minlength="5" maxlength="500" /></${Field}>
    <button type="submit" disabled=${action.busy}>${t("support.enter")}</button>
    <button type="button" class="secondary" onClick=${onDone}>${t("common.cancel")}</button>
    <${Alert} error=${action.error} />
  </form>`;
}

function TenantRow({ tenant, onChanged }) {
  const [support, setSupport] = useState(false);
  const update = useAction(async (input) => {
    await session.call(UPDATE_TENANT, { id: tenant.id, input });
    onChanged();
  });
  const suspended = tenant.status === "SUSPENDED";
  return html`<li class="row" data-tenant=${tenant.slug}>
    <div class="grow"><span class="row-title">${tenant.name}</span>
      <small class="muted"> ${tenant.slug} · ${tenant.region} · ${formatDate(tenant.createdAt)}</small></div>
    <label class="compact"><span class="visually-hidden">${t("admin.plan")}</span>
      <select aria-label=${t("admin.planOf", { name: tenant.name })} value=${tenant.plan} disabled=${update.busy}
        onChange=${(event) => update.run({ plan: event.target.value })}>
        ${PLANS.map((plan) => html`<option value=${plan}>${plan}</option>`)}
      </select></label>
    <span class=${`status ${suspended ? "status-failed" : "status-completed"}`}>${suspended ? t("admin.suspended") : t("admin.active")}</span>
    <div class="row-actions">
      ${suspended
        ? html`<button type="button" class="secondary" onClick=${() => update.run({ status: "ACTIVE" })}>${t("admin.resume")}</button>`
        : html`<${ConfirmButton} label=${t("admin.suspend")} confirmLabel=${t("admin.confirmSuspend")} onConfirm=${() => update.run({ status: "SUSPENDED" })} />`}
      <button type="button" class="secondary" onClick=${() => setSupport(!support)}>${t("support.open")}</button>
    </div>
    <${Alert} error=${update.error} />
    ${support && html`<${SupportForm} tenant=${tenant} onDone=${() => setSupport(false)} />`}
  </li>`;
}

export function TenantsPage() {
  const viewer = useViewer();
  const cursor = useCursor();
  const { data, error, loading, reload } = useQuery(TENANTS, { after: cursor.after }, { skip: !viewer.isSuperadmin });
  if (!viewer.isSuperadmin) return html`<${Notice} kind="warning">${t("errors.FORBIDDEN")}</${Notice}>`;
  const page = data && data.tenants;
  return html`<section>
    <${PageHeader} title=${t("admin.title")}>${page && html`<span class="muted">${t("admin.count", { count: page.totalCount })}</span>`}</${PageHeader}>
    <${CreateTenant} onCreated=${reload} />
    <${Alert} error=${error} />
    ${loading && !page ? html`<${Loading} />` : page && (page.nodes.length === 0 ? html`<${Empty}>${t("admin.none")}</${Empty}>` : html`
      <ul class="list" aria-label=${t("admin.title")}>${page.nodes.map((tenant) => html`<${TenantRow} key=${tenant.id} tenant=${tenant} onChanged=${reload} />`)}</ul>`)}
    <${Pager} page=${cursor.page} pageInfo=${page && page.pageInfo} onPrevious=${cursor.previous} onNext=${cursor.next} />
  </section>`;
}
