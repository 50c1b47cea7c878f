// Projects: a paged list (create, rename, delete) and one project's documents and transcriptions.
import { html, useState } from "../lib/html.js";
import { formatDate, t } from "../lib/i18n.js";
import { useAction, useCursor, useQuery } from "../lib/hooks.js";
import { href, navigate } from "../lib/router.js";
import { call } from "../lib/session.js";
import { CREATE_PROJECT, DELETE_PROJECT, PROJECT, PROJECTS, UPDATE_PROJECT } from "../lib/operations.js";
import { isReadOnly, useViewer } from "../lib/viewer.js";
import { Alert, ConfirmButton, Empty, Field, Loading, PageHeader, Pager } from "../components/widgets.js";
import { AddDocumentForm, DocumentList } from "./knowledge.js";
import { TranscriptionList } from "./transcribe.js";

const PAGE_SIZE = 10;

function CreateProject({ onCreated }) {
  const action = useAction(async (form) => {
    const values = Object.fromEntries(new FormData(form).entries());
    const input = { name: values.name.trim() };
    if (values.description.trim()) input.description = values.description.trim();
    await call(CREATE_PROJECT, { input });
    form.reset();
    onCreated();
  });
  return html`<form class="card inline-form" aria-label=${t("projects.create")}
      onSubmit=${(event) => { event.preventDefault(); action.run(event.currentTarget); }}>
    <${Field} label=${t("projects.name")}><input name="name" required maxlength="200" /></${Field}>
    <${Field} label=${t("projects.description")}><input name="description" maxlength="2000" /></${Field}>
    <button type="submit" disabled=${action.busy}>${t("projects.create")}</button>
    <${Alert} error=${action.error} />
  </form>`;
}

function ProjectRow({ project, readOnly, onChanged }) {
  const [editing, setEditing] = useState(false);
  const rename = useAction(async (form) => {
    const values = Object.fromEntries(new FormData(form).entries());
    await call(UPDATE_PROJECT, { id: project.id, input: { name: values.name.trim(), description: values.description.trim() || null } });
    setEditing(false);
    onChanged();
  });
  const remove = useAction(async () => {
    await call(DELETE_PROJECT, { id: project.id });
    onChanged();
  });
  if (editing) {
    return html`<li class="row">
      <form class="inline-form grow" onSubmit=${(event) => { event.preventDefault(); rename.run(event.currentTarget); }}>
        <${Field} label=${t("projects.name")}><input name="name" value=${project.name} required maxlength="200" /></${Field}>
        <${Field} label=${t("projects.description")}><input name="description" value=${project.description || ""} /></${Field}>
        <button type="submit" disabled=${rename.busy}>${t("common.save")}</button>
        <button type="button" class="secondary" onClick=${() => setEditing(false)}>${t("common.cancel")}</button>
        <${Alert} error=${rename.error} />
      </form>
    </li>`;
  }
  return html`<li class="row" data-project=${project.name}>
    <div class="grow">
      <a class="row-title" href=${href(`/projects/${project.id}`)}>${project.name}</a>
      ${project.description && html`<p class="muted">${project.description}</p>`}
      <small class="muted">${t("common.updated", { date: formatDate(project.updatedAt) })}</small>
    </div>
    ${!readOnly && html`<div class="row-actions">
      <button type="button" class="secondary" onClick=${() => setEditing(true)}>${t("common.rename")}</button>
      <${ConfirmButton} label=${t("common.delete")} confirmLabel=${t("projects.confirmDelete")} onConfirm=${remove.run} />
    </div>`}
    <${Alert} error=${remove.error} />
  </li>`;
}

export function ProjectsPage() {
  const viewer = useViewer();
  const cursor = useCursor();
  const { data, error, loading, reload } = useQuery(PROJECTS, { first: PAGE_SIZE, after: cursor.after });
  const readOnly = isReadOnly(viewer);
  const page = data && data.projects;
  return html`<section>
    <${PageHeader} title=${t("projects.title")}>
      ${page && html`<span class="muted">${t("projects.count", { count: page.totalCount })}</span>`}
    </${PageHeader}>
    ${!readOnly && html`<${CreateProject} onCreated=${() => (cursor.page > 1 ? cursor.reset() : reload())} />`}
    <${Alert} error=${error} />
    ${loading && !page ? html`<${Loading} />` : page && (page.nodes.length === 0
      ? html`<${Empty}>${t("projects.empty")}</${Empty}>`
      : html`<ul class="list" aria-label=${t("projects.title")}>
          ${page.nodes.map((project) => html`<${ProjectRow} key=${project.id} project=${project} readOnly=${readOnly} onChanged=${reload} />`)}
        </ul>`)}
    <${Pager} page=${cursor.page} pageInfo=${page && page.pageInfo} onPrevious=${cursor.previous} onNext=${cursor.next} />
  </section>`;
}

export function ProjectPage({ id }) {
  const viewer = useViewer();
  const cursor = useCursor();
  const { data, error, loading, reload } = useQuery(PROJECT, { id, after: cursor.after });
  const project = data && data.project;
  if (loading && !project) return html`<${Loading} />`;
  if (error) return html`<${Alert} error=${error} />`;
  if (!project) {
    return html`<section><${PageHeader} title=${t("projects.notFound")} />
      <a href=${href("/projects")}>← ${t("projects.back")}</a></section>`;
  }
  return html`<section>
    <p><a href=${href("/projects")}>← ${t("projects.back")}</a></p>
    <${PageHeader} title=${project.name}>
      <button type="button" class="secondary" onClick=${() => navigate(`/transcribe?project=${project.id}`)}>${t("transcribe.action")}</button>
    </${PageHeader}>
    ${project.description && html`<p>${project.description}</p>`}
    <p class="muted">${t("projects.createdBy", { date: formatDate(project.createdAt), who: project.createdBy ? project.createdBy.fullName || project.createdBy.email : "—" })}</p>
    <h2>${t("documents.title")} <span class="muted">(${project.documents.totalCount})</span></h2>
    ${!isReadOnly(viewer) && html`<${AddDocumentForm} projectId=${project.id} onAdded=${reload} />`}
    <${DocumentList} documents=${project.documents.nodes} />
    <${Pager} page=${cursor.page} pageInfo=${project.documents.pageInfo} onPrevious=${cursor.previous} onNext=${cursor.next} />
    <h2>${t("transcribe.recent")}</h2>
    <${TranscriptionList} transcriptions=${project.transcriptions.nodes} />
  </section>`;
}
