// Members of the active tenant, and invitations (OWNER or ADMIN): invite, copy the link, revoke.
import { html, useState } from "../lib/html.js";
import { formatDate, t } from "../lib/i18n.js";
import { useAction, useQuery } from "../lib/hooks.js";
import { call } from "../lib/session.js";
import { INVITATIONS, INVITE_MEMBER, MEMBERS, REMOVE_MEMBER, REVOKE_INVITATION } from "../lib/operations.js";
import { canManage, useViewer } from "../lib/viewer.js";
import { isNotServed } from "../lib/errors.js";
import { Alert, ConfirmButton, CopyButton, Empty, Field, Loading, Notice, PageHeader } from "../components/widgets.js";

const ROLES = ["MEMBER", "ADMIN", "OWNER"];

function Role({ role }) {
  return html`<span class=${`badge role-${role.toLowerCase()}`}>${t(`roles.${role}`)}</span>`;
}

function MemberRow({ member, removable, onChanged }) {
  const remove = useAction(async () => {
    await call(REMOVE_MEMBER, { userId: member.user.id });
    onChanged();
  });
  return html`<li class="row">
    <div class="grow"><span class="row-title">${member.user.fullName || member.user.email}</span>
      <small class="muted">${member.user.fullName ? ` ${member.user.email}` : ""} · ${t("members.joined", { date: formatDate(member.joinedAt) })}</small></div>
    <${Role} role=${member.role} />
    ${removable && html`<${ConfirmButton} label=${t("members.remove")} confirmLabel=${t("members.confirmRemove")} onConfirm=${remove.run} />`}
    <${Alert} error=${remove.error} />
  </li>`;
}

function InviteForm({ onInvited }) {
  const [link, setLink] = useState(null);
  const action = useAction(async (form) => {
    const values = Object.fromEntries(new FormData(form).entries());
    const { inviteMember } = await call(INVITE_MEMBER, { email: values.email.trim(), role: values.role });
    setLink({ url: inviteMember.acceptUrl, email: inviteMember.invitation.email });
    form.reset();
    onInvited();
  });
  return html`<form class="card stack" aria-label=${t("invite.title")}
      onSubmit=${(event) => { event.preventDefault(); action.run(event.currentTarget); }}>
    <h2 class="card-title">${t("invite.new")}</h2>
    <div class="inline-form">
      <${Field} label=${t("auth.email")}><input name="email" type="email" required /></${Field}>
      <${Field} label=${t("members.role")}>
        <select name="role">${ROLES.map((role) => html`<option value=${role}>${t(`roles.${role}`)}</option>`)}</select>
      </${Field}>
      <button type="submit" disabled=${action.busy}>${t("invite.send")}</button>
    </div>
    <${Alert} error=${action.error} />
    ${link && html`<${Notice} kind="success">
      <p>${t("invite.created", { email: link.email })}</p>
      <div class="link-box"><input readonly value=${link.url} aria-label=${t("invite.link")} onFocus=${(event) => event.target.select()} />
        <${CopyButton} text=${link.url} label=${t("invite.copyLink")} /></div>
    </${Notice}>`}
  </form>`;
}

function Invitations() {
  const { data, error, loading, reload } = useQuery(INVITATIONS, { after: null });
  const revoke = useAction(async (id) => {
    await call(REVOKE_INVITATION, { id });
    reload();
  });
  if (isNotServed(error)) return html`<${Notice} kind="warning">${t("invite.notServed")}</${Notice}>`;
  const page = data && data.invitations;
  return html`<section>
    <${InviteForm} onInvited=${reload} />
    <h2>${t("invite.list")}</h2>
    <${Alert} error=${error || revoke.error} />
    ${loading && !page ? html`<${Loading} />` : page && (page.nodes.length === 0 ? html`<${Empty}>${t("invite.none")}</${Empty}>` : html`
      <ul class="list" aria-label=${t("invite.list")}>
        ${page.nodes.map((invitation) => html`<li class="row">
          <div class="grow"><span class="row-title">${invitation.email}</span>
            <small class="muted"> · ${t("invite.expires", { date: formatDate(invitation.expiresAt) })}
              ${invitation.invitedBy && ` · ${t("invite.by", { who: invitation.invitedBy.email })}`}</small></div>
          <${Role} role=${invitation.role} />
          <span class=${`status status-${invitation.status.toLowerCase()}`}>${t(`invite.status.${invitation.status}`)}</span>
          ${invitation.status === "PENDING" && html`<${ConfirmButton} label=${t("invite.revoke")} confirmLabel=${t("invite.confirmRevoke")}
            onConfirm=${() => revoke.run(invitation.id)} />`}
        </li>`)}
      </ul>`)}
  </section>`;
}

export function MembersPage() {
  const viewer = useViewer();
  const { data, error, loading, reload } = useQuery(MEMBERS);
  const manage = canManage(viewer);
  const members = data ? data.members : null;
  return html`<section>
    <${PageHeader} title=${t("members.title")}>${members && html`<span class="muted">${t("members.count", { count: members.length })}</span>`}</${PageHeader}>
    <${Alert} error=${error} />
    ${loading && !members ? html`<${Loading} />` : members && html`<ul class="list" aria-label=${t("members.title")}>
      ${members.map((member) => html`<${MemberRow} key=${member.user.id} member=${member} onChanged=${reload}
        removable=${manage && member.user.id !== viewer.user.id} />`)}
    </ul>`}
    ${manage && html`<${Invitations} />`}
  </section>`;
}
