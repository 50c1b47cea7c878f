// The signed-in user's own account: profile, password, workspaces.
import { html, useState } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { useAction } from "../lib/hooks.js";
import * as session from "../lib/session.js";
import { CHANGE_PASSWORD, UPDATE_PROFILE } from "../lib/operations.js";
import { useViewer } from "../lib/viewer.js";
import { Alert, Field, Notice, PageHeader } from "../components/widgets.js";

const MIN_PASSWORD = 8;
const values = (form) => Object.fromEntries(new FormData(form).entries());

function Profile({ viewer }) {
  const [saved, setSaved] = useState(false);
  const action = useAction(async (form) => {
    setSaved(false);
    await session.call(UPDATE_PROFILE, { fullName: values(form).fullName.trim() || null });
    await viewer.reload();
    setSaved(true);
  });
  return html`<form class="card stack" aria-label=${t("account.profile")}
      onSubmit=${(event) => { event.preventDefault(); action.run(event.currentTarget); }}>
    <h2 class="card-title">${t("account.profile")}</h2>
    <${Field} label=${t("auth.email")}><input value=${viewer.user.email} readonly /></${Field}>
    <${Field} label=${t("auth.fullName")}><input name="fullName" value=${viewer.user.fullName || ""} maxlength="200" autocomplete="name" /></${Field}>
    <${Alert} error=${action.error} />
    ${saved && html`<${Notice} kind="success">${t("account.saved")}</${Notice}>`}
    <div><button type="submit" disabled=${action.busy}>${t("common.save")}</button></div>
  </form>`;
}

function Password() {
  const [state, setState] = useState(null);
  const action = useAction(async (form) => {
    const { current, next, confirm } = values(form);
    if (next !== confirm) {
      setState("mismatch");
      return;
    }
    const { changePassword } = await session.call(CHANGE_PASSWORD, { currentPassword: current, newPassword: next });
    // Every earlier session has just ended, this one included: carry on with the new one.
    session.signIn(changePassword);
    form.reset();
    setState("changed");
  });
  return html`<form class="card stack" aria-label=${t("account.password")}
      onSubmit=${(event) => { event.preventDefault(); setState(null); action.run(event.currentTarget); }}>
    <h2 class="card-title">${t("account.password")}</h2>
    <${Field} label=${t("account.currentPassword")}><input name="current" type="password" autocomplete="current-password" required /></${Field}>
    <${Field} label=${t("account.newPassword")} hint=${t("auth.passwordHint", { min: MIN_PASSWORD })}>
      <input name="next" type="password" autocomplete="new-password" minlength=${MIN_PASSWORD} required /></${Field}>
    <${Field} label=${t("auth.confirmPassword")}><input name="confirm" type="password" autocomplete="new-password" required /></${Field}>
    ${state === "mismatch" && html`<div class="alert" role="alert">${t("auth.passwordsDiffer")}</div>`}
    ${state === "changed" && html`<${Notice} kind="success">${t("account.passwordChanged")}</${Notice}>`}
    <${Alert} error=${action.error} />
    <div><button type="submit" disabled=${action.busy}>${t("account.changePassword")}</button></div>
  </form>`;
}

export function AccountPage() {
  const viewer = useViewer();
  return html`<section>
    <${PageHeader} title=${t("account.title")} />
    <div class="columns">
      <${Profile} viewer=${viewer} />
      ${!session.isSupportSession() && html`<${Password} />`}
    </div>
    <section class="card stack">
      <h2 class="card-title">${t("account.workspaces")}</h2>
      <ul class="plain">${viewer.memberships.map((membership) => html`<li>
        <strong>${membership.tenant.name}</strong> <span class="muted">(${membership.tenant.slug})</span> · ${t(`roles.${membership.role}`)}
        ${membership.tenant.status === "SUSPENDED" && html` · <span class="status status-failed">${t("admin.suspended")}</span>`}
      </li>`)}</ul>
      ${viewer.isSuperadmin && html`<p class="muted">${t("account.superadmin")}</p>`}
    </section>
  </section>`;
}
