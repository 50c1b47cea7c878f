// The frame around every signed-in page: navigation, tenant switcher, language, sign out.
import { html, useState } from "../lib/html.js";
import { LANGUAGES, currentLanguage, t } from "../lib/i18n.js";
import { href, navigate } from "../lib/router.js";
import * as session from "../lib/session.js";
import { SWITCH_TENANT } from "../lib/operations.js";
import { canManage } from "../lib/viewer.js";
import { Alert } from "./widgets.js";

export function LanguageSwitch({ onChange }) {
  return html`<label class="language">
    <span class="visually-hidden">${t("nav.language")}</span>
    <select aria-label=${t("nav.language")} value=${currentLanguage()} onChange=${(event) => onChange(event.target.value)}>
      ${LANGUAGES.map(([code, name]) => html`<option value=${code}>${name}</option>`)}
    </select>
  </label>`;
}

function TenantSwitcher({ viewer, onError }) {
  const activeId = viewer.active ? viewer.active.tenant.id : "";
  const choices = viewer.memberships.map((membership) => membership.tenant);
  if (viewer.active && !choices.some((tenant) => tenant.id === activeId)) choices.unshift(viewer.active.tenant);
  if (choices.length === 0) return null;
  const change = async (event) => {
    const tenantId = event.target.value;
    if (!tenantId || tenantId === activeId) return;
    try {
      const { switchTenant } = await session.call(SWITCH_TENANT, { tenantId });
      session.signIn(switchTenant);
      navigate("/projects");
    } catch (error) {
      event.target.value = activeId;
      onError(error);
    }
  };
  return html`<label class="tenant-switcher">
    <span class="visually-hidden">${t("nav.tenant")}</span>
    <select aria-label=${t("nav.tenant")} value=${activeId} onChange=${change} disabled=${session.isSupportSession()}>
      ${!activeId && html`<option value="">${t("nav.noTenant")}</option>`}
      ${choices.map((tenant) => html`<option value=${tenant.id}>${tenant.name}</option>`)}
    </select>
  </label>`;
}

function navigation(viewer) {
  const items = [];
  if (viewer.active) {
    items.push(["projects", "nav.projects"], ["knowledge", "nav.knowledge"], ["transcribe", "nav.transcription"],
      ["members", "nav.members"], ["usage", "nav.usage"]);
    if (canManage(viewer) || viewer.active.role === "SUPPORT") items.push(["audit", "nav.audit"]);
  }
  if (viewer.isSuperadmin && !session.isSupportSession()) items.push(["admin", "nav.admin"]);
  items.push(["account", "nav.account"]);
  return items;
}

export function Layout({ viewer, route, onLanguage, children }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState(null);
  const section = route.segments[0] === "transcriptions" ? "transcribe" : route.segments[0];
  const signOut = async () => {
    await session.signOut();
    navigate("/signin");
  };
  return html`<div class="shell">
    <header class="topbar">
      <a class="brand" href=${href("/projects")}>IAFactory</a>
      <button type="button" class="menu-toggle secondary" aria-expanded=${open} aria-controls="main-nav"
        onClick=${() => setOpen(!open)}>${t("nav.menu")}</button>
      <nav id="main-nav" class=${open ? "nav open" : "nav"} aria-label=${t("nav.main")} onClick=${() => setOpen(false)}>
        ${navigation(viewer).map(([path, key]) => html`<a href=${href(`/${path}`)}
          aria-current=${section === path ? "page" : undefined}>${t(key)}</a>`)}
      </nav>
      <div class="topbar-tools">
        <${TenantSwitcher} viewer=${viewer} onError=${setError} />
        <${LanguageSwitch} onChange=${onLanguage} />
        <span class="who" title=${viewer.user.email}>${viewer.user.fullName || viewer.user.email}</span>
        <button type="button" class="secondary" onClick=${signOut}>${t("nav.signOut")}</button>
      </div>
    </header>
    ${session.isSupportSession() && html`<div class="support-banner" role="status">
      ${t("support.banner", { tenant: viewer.active ? viewer.active.tenant.name : "" })}
      <button type="button" onClick=${() => { session.leaveSupport(); navigate("/admin"); }}>${t("support.leave")}</button>
    </div>`}
    ${viewer.active && viewer.active.tenant.status === "SUSPENDED" && html`<div class="alert" role="alert">${t("errors.TENANT_SUSPENDED")}</div>`}
    <main class="content">
      <${Alert} error=${error} />
      ${children}
    </main>
  </div>`;
}
