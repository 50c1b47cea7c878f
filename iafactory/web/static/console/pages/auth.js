// Signing in and out of the console: sign in, register, forgotten password, reset, invitation.
import { html, useState } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { graphql } from "../lib/api.js";
import { useAction } from "../lib/hooks.js";
import { href, navigate } from "../lib/router.js";
import * as session from "../lib/session.js";
import {
  ACCEPT_INVITATION, LOGIN, REGISTER, REQUEST_PASSWORD_RESET, RESET_PASSWORD,
} from "../lib/operations.js";
import { LanguageSwitch } from "../components/layout.js";
import { Alert, Field, Notice } from "../components/widgets.js";

const MIN_PASSWORD = 8;

function AuthCard({ title, onLanguage, children, footer }) {
  return html`<main class="auth">
    <div class="auth-top"><span class="brand">IAFactory</span>${onLanguage && html`<${LanguageSwitch} onChange=${onLanguage} />`}</div>
    <section class="card auth-card">
      <h1>${title}</h1>
      ${children}
    </section>
    ${footer && html`<p class="auth-footer">${footer}</p>`}
  </main>`;
}

const formValues = (event) => Object.fromEntries(new FormData(event.currentTarget).entries());

function ReasonNotice() {
  const [reason] = useState(() => session.consumeSignOutReason());
  if (!reason) return null;
  return html`<${Notice} kind="warning">${t(`session.${reason}`)}</${Notice}>`;
}

function afterSignIn(route) {
  const next = route.params.get("next");
  navigate(next && next.startsWith("/") ? next : "/projects");
}

export function SignInPage({ route, onLanguage }) {
  const action = useAction(async (values) => {
    const input = { email: values.email.trim(), password: values.password };
    if (values.tenantSlug && values.tenantSlug.trim()) input.tenantSlug = values.tenantSlug.trim();
    const { login } = await graphql(LOGIN, { input });
    session.signIn(login);
    afterSignIn(route);
  });
  const next = route.params.get("next");
  const suffix = next ? `?next=${encodeURIComponent(next)}` : "";
  return html`<${AuthCard} title=${t("auth.signInTitle")} onLanguage=${onLanguage}
      footer=${html`${t("auth.noAccount")} <a href=${href(`/register${suffix}`)}>${t("auth.createAccount")}</a>`}>
    <${ReasonNotice} />
    <form class="stack" onSubmit=${(event) => { event.preventDefault(); action.run(formValues(event)); }}>
      <${Field} label=${t("auth.email")}><input name="email" type="email" autocomplete="username" required /></${Field}>
      <${Field} label=${t("auth.password")}><input name="password" type="password" autocomplete="current-password" required /></${Field}>
      <details class="advanced"><summary>${t("auth.workspaceOption")}</summary>
        <${Field} label=${t("auth.workspaceSlug")} hint=${t("auth.workspaceSlugHint")}><input name="tenantSlug" autocomplete="off" /></${Field}>
      </details>
      <${Alert} error=${action.error} />
      <button type="submit" disabled=${action.busy}>${action.busy ? t("common.wait") : t("auth.signIn")}</button>
    </form>
    <p><a href=${href("/forgot")}>${t("auth.forgot")}</a></p>
  </${AuthCard}>`;
}

export function RegisterPage({ route, onLanguage }) {
  const [mismatch, setMismatch] = useState(false);
  const action = useAction(async (values) => {
    const input = { email: values.email.trim(), password: values.password };
    if (values.fullName.trim()) input.fullName = values.fullName.trim();
    if (values.tenantName.trim()) input.tenantName = values.tenantName.trim();
    const { register } = await graphql(REGISTER, { input });
    session.signIn(register);
    afterSignIn(route);
  });
  const submit = (event) => {
    event.preventDefault();
    const values = formValues(event);
    setMismatch(values.password !== values.confirm);
    if (values.password === values.confirm) action.run(values);
  };
  return html`<${AuthCard} title=${t("auth.registerTitle")} onLanguage=${onLanguage}
      footer=${html`${t("auth.haveAccount")} <a href=${href("/signin")}>${t("auth.signIn")}</a>`}>
    <form class="stack" onSubmit=${submit}>
      <${Field} label=${t("auth.fullName")}><input name="fullName" autocomplete="name" /></${Field}>
      <${Field} label=${t("auth.email")}><input name="email" type="email" autocomplete="username" required /></${Field}>
      <${Field} label=${t("auth.password")} hint=${t("auth.passwordHint", { min: MIN_PASSWORD })}>
        <input name="password" type="password" autocomplete="new-password" minlength=${MIN_PASSWORD} required /></${Field}>
      <${Field} label=${t("auth.confirmPassword")}>
        <input name="confirm" type="password" autocomplete="new-password" required /></${Field}>
      <${Field} label=${t("auth.workspaceName")} hint=${t("auth.workspaceNameHint")}><input name="tenantName" /></${Field}>
      ${mismatch && html`<div class="alert" role="alert">${t("auth.passwordsDiffer")}</div>`}
      <${Alert} error=${action.error} />
      <button type="submit" disabled=${action.busy}>${action.busy ? t("common.wait") : t("auth.createAccount")}</button>
    </form>
  </${AuthCard}>`;
}

export function ForgotPage({ onLanguage }) {
  const [sent, setSent] = useState(false);
  const action = useAction(async ({ email }) => {
    await graphql(REQUEST_PASSWORD_RESET, { email: email.trim() });
    setSent(true);
  });
  return html`<${AuthCard} title=${t("auth.forgotTitle")} onLanguage=${onLanguage}
      footer=${html`<a href=${href("/signin")}>${t("auth.backToSignIn")}</a>`}>
    ${sent ? html`<${Notice} kind="success">${t("auth.resetSent")}</${Notice}>` : html`
    <form class="stack" onSubmit=${(event) => { event.preventDefault(); action.run(formValues(event)); }}>
      <p class="muted">${t("auth.forgotHelp")}</p>
      <${Field} label=${t("auth.email")}><input name="email" type="email" autocomplete="username" required /></${Field}>
      <${Alert} error=${action.error} />
      <button type="submit" disabled=${action.busy}>${t("auth.sendLink")}</button>
    </form>`}
  </${AuthCard}>`;
}

export function ResetPage({ route, onLanguage }) {
  const token = route.params.get("token") || "";
  const action = useAction(async ({ password }) => {
    const { resetPassword } = await graphql(RESET_PASSWORD, { token, newPassword: password });
    session.signIn(resetPassword);
    navigate("/projects");
  });
  return html`<${AuthCard} title=${t("auth.resetTitle")} onLanguage=${onLanguage}>
    ${!token ? html`<${Notice} kind="warning">${t("auth.linkIncomplete")}</${Notice}>` : html`
    <form class="stack" onSubmit=${(event) => { event.preventDefault(); action.run(formValues(event)); }}>
      <${Field} label=${t("account.newPassword")} hint=${t("auth.passwordHint", { min: MIN_PASSWORD })}>
        <input name="password" type="password" autocomplete="new-password" minlength=${MIN_PASSWORD} required /></${Field}>
      <${Alert} error=${action.error} />
      <button type="submit" disabled=${action.busy}>${t("auth.setPassword")}</button>
    </form>`}
  </${AuthCard}>`;
}

// An invitation link: a signed-in user joins at once; anyone else creates the invited account
// here, or signs in first and comes back to this very link.
export function AcceptPage({ route, onLanguage }) {
  const token = route.params.get("token") || "";
  const signedIn = Boolean(session.current());
  const here = `/accept?token=${encodeURIComponent(token)}`;
  const action = useAction(async (values = {}) => {
    const variables = { token };
    if (!signedIn) {
      variables.password = values.password;
      if (values.fullName && values.fullName.trim()) variables.fullName = values.fullName.trim();
    }
    const { acceptInvitation } = signedIn
      ? await session.call(ACCEPT_INVITATION, variables)
      : await graphql(ACCEPT_INVITATION, variables);
    session.signIn(acceptInvitation);
    navigate("/projects");
  });
  const body = !token
    ? html`<${Notice} kind="warning">${t("auth.linkIncomplete")}</${Notice}>`
    : signedIn
      ? html`<div class="stack"><p>${t("invite.acceptSignedIn")}</p>
          <${Alert} error=${action.error} />
          <button type="button" disabled=${action.busy} onClick=${() => action.run()}>${t("invite.accept")}</button></div>`
      : html`<form class="stack" onSubmit=${(event) => { event.preventDefault(); action.run(formValues(event)); }}>
          <p class="muted">${t("invite.acceptNewAccount")}</p>
          <${Field} label=${t("auth.fullName")}><input name="fullName" autocomplete="name" /></${Field}>
          <${Field} label=${t("auth.password")} hint=${t("auth.passwordHint", { min: MIN_PASSWORD })}>
            <input name="password" type="password" autocomplete="new-password" minlength=${MIN_PASSWORD} required /></${Field}>
          <${Alert} error=${action.error} />
          ${action.error && action.error.code === "CONFLICT" && html`<p><a href=${href(`/signin?next=${encodeURIComponent(here)}`)}>${t("invite.signInFirst")}</a></p>`}
          <button type="submit" disabled=${action.busy}>${t("invite.acceptAndCreate")}</button>
          <p>${t("auth.haveAccount")} <a href=${href(`/signin?next=${encodeURIComponent(here)}`)}>${t("invite.signInToAccept")}</a></p>
        </form>`;
  return html`<${AuthCard} title=${t("invite.title")} onLanguage=${signedIn ? null : onLanguage}>${body}</${AuthCard}>`;
}
