// The IAFactory web console: one page, hash routes, preact + htm from the package (no build).
import { html, render, useEffect, useState } from "./lib/html.js";
import { setLanguage, t } from "./lib/i18n.js";
import { navigate, useRoute } from "./lib/router.js";
import * as session from "./lib/session.js";
import { ViewerContext, loadViewer } from "./lib/viewer.js";
import { Layout } from "./components/layout.js";
import { Alert, Loading, Notice } from "./components/widgets.js";
import { AcceptPage, ForgotPage, RegisterPage, ResetPage, SignInPage } from "./pages/auth.js";
import { ProjectPage, ProjectsPage } from "./pages/projects.js";
import { KnowledgePage } from "./pages/knowledge.js";
import { TranscribePage, TranscriptionPage } from "./pages/transcribe.js";
import { MembersPage } from "./pages/members.js";
import { AccountPage } from "./pages/account.js";
import { UsagePage } from "./pages/usage.js";
import { AuditPage } from "./pages/audit.js";
import { TenantsPage } from "./pages/admin.js";

const PUBLIC = { signin: SignInPage, register: RegisterPage, forgot: ForgotPage, reset: ResetPage };
const TENANT_PAGES = {
  projects: ProjectsPage, knowledge: KnowledgePage, transcribe: TranscribePage, transcriptions: TranscriptionPage,
  members: MembersPage, usage: UsagePage, audit: AuditPage,
};
const OTHER_PAGES = { account: AccountPage, admin: TenantsPage, accept: AcceptPage, reset: ResetPage };

// "who:tenant:role": the viewer is reloaded when it changes, not on every silent refresh.
const identity = (tokens) => {
  if (!tokens) return "";
  const claims = session.claims(tokens.accessToken);
  return `${claims.sub}:${claims.tenant_id || ""}:${claims.role || ""}`;
};

function pageFor(route, viewer) {
  const [name, id] = route.segments;
  if (name === "projects" && id) return html`<${ProjectPage} id=${id} />`;
  if (name === "transcriptions" && id) return html`<${TranscriptionPage} id=${id} />`;
  const Page = TENANT_PAGES[name] || OTHER_PAGES[name];
  if (!Page) {
    navigate(viewer.active ? "/projects" : viewer.isSuperadmin ? "/admin" : "/account");
    return null;
  }
  if (TENANT_PAGES[name] && !viewer.active) {
    return viewer.tenantError ? html`<${Alert} error=${viewer.tenantError} />` : html`<${Notice}>${t("nav.chooseTenant")}</${Notice}>`;
  }
  return html`<${Page} route=${route} />`;
}

function App() {
  const route = useRoute();
  const [, setLanguageVersion] = useState(0);
  const [tokens, setTokens] = useState(session.current());
  const [viewer, setViewer] = useState(null);
  const [error, setError] = useState(null);
  const who = identity(tokens);

  useEffect(() => session.onChange(setTokens), []);
  useEffect(() => {
    setViewer(null);
    setError(null);
    if (!who) return;
    let live = true;
    loadViewer().then((loaded) => live && setViewer(loaded), (failure) => live && setError(failure));
    return () => { live = false; };
  }, [who]);

  const changeLanguage = (language) => {
    setLanguage(language);
    setLanguageVersion((version) => version + 1);
  };
  const name = route.segments[0];

  if (!tokens) {
    if (name === "accept") return html`<${AcceptPage} route=${route} onLanguage=${changeLanguage} />`;
    const Page = PUBLIC[name] || SignInPage;
    return html`<${Page} route=${route} onLanguage=${changeLanguage} />`;
  }
  if (PUBLIC[name] && name !== "reset") {
    const back = route.params.get("next");
    navigate(back && back.startsWith("/") ? back : "/projects");
    return null;
  }
  if (error) {
    return html`<main class="content narrow"><${Alert} error=${error} />
      <button type="button" onClick=${() => session.signOut()}>${t("nav.signOut")}</button></main>`;
  }
  if (!viewer) return html`<main class="content"><${Loading} /></main>`;
  return html`<${ViewerContext.Provider} value=${{ ...viewer, reload: () => loadViewer().then(setViewer) }}>
    <${Layout} viewer=${viewer} route=${route} onLanguage=${changeLanguage}>${pageFor(route, viewer)}</${Layout}>
  </${ViewerContext.Provider}>`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
