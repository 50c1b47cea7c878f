// The knowledge base: add documents, list them, and search them with highlighted snippets.
import { html, useState } from "../lib/html.js";
import { formatDate, formatNumber, t } from "../lib/i18n.js";
import { useAction, useCursor, useQuery } from "../lib/hooks.js";
import { href } from "../lib/router.js";
import { call } from "../lib/session.js";
import { ADD_DOCUMENT, DELETE_DOCUMENT, DOCUMENT, DOCUMENTS, PROJECT_OPTIONS, SEARCH } from "../lib/operations.js";
import { isReadOnly, useViewer } from "../lib/viewer.js";
import { Alert, ConfirmButton, Empty, Field, Loading, PageHeader, Pager, Snippet } from "../components/widgets.js";

export function ProjectSelect({ name = "projectId", value = "", label = t("documents.project") }) {
  const { data } = useQuery(PROJECT_OPTIONS);
  const projects = data ? data.projects.nodes : [];
  return html`<${Field} label=${label}>
    <select name=${name} value=${value}>
      <option value="">${t("documents.noProject")}</option>
      ${projects.map((project) => html`<option value=${project.id}>${project.name}</option>`)}
    </select>
  </${Field}>`;
}

export function AddDocumentForm({ projectId = null, onAdded }) {
  const action = useAction(async (form) => {
    const values = Object.fromEntries(new FormData(form).entries());
    const input = { title: values.title.trim(), content: values.content };
    const project = projectId || values.projectId;
    if (project) input.projectId = project;
    await call(ADD_DOCUMENT, { input });
    form.reset();
    onAdded();
  });
  return html`<form class="card stack" aria-label=${t("documents.add")}
      onSubmit=${(event) => { event.preventDefault(); action.run(event.currentTarget); }}>
    <h2 class="card-title">${t("documents.add")}</h2>
    <${Field} label=${t("documents.docTitle")}><input name="title" required maxlength="500" /></${Field}>
    <${Field} label=${t("documents.content")}><textarea name="content" rows="5" required></textarea></${Field}>
    ${!projectId && html`<${ProjectSelect} />`}
    <${Alert} error=${action.error} />
    <div><button type="submit" disabled=${action.busy}>${t("documents.addButton")}</button></div>
  </form>`;
}

function DocumentItem({ document, readOnly, onChanged }) {
  const [open, setOpen] = useState(false);
  const detail = useQuery(DOCUMENT, { id: document.id }, { skip: !open });
  const remove = useAction(async () => {
    await call(DELETE_DOCUMENT, { id: document.id });
    onChanged();
  });
  return html`<li class="row">
    <div class="grow">
      <button type="button" class="link row-title" aria-expanded=${open} onClick=${() => setOpen(!open)}>${document.title}</button>
      <small class="muted"> · ${t(`documents.source.${document.source}`)} · ${formatDate(document.createdAt)}
        ${document.project && html` · <a href=${href(`/projects/${document.project.id}`)}>${document.project.name}</a>`}</small>
      ${open && (detail.data && detail.data.document
        ? html`<pre class="document-content">${detail.data.document.content}</pre>`
        : html`<${Alert} error=${detail.error} />`)}
    </div>
    ${!readOnly && onChanged && html`<div class="row-actions">
      <${ConfirmButton} label=${t("common.delete")} confirmLabel=${t("documents.confirmDelete")} onConfirm=${remove.run} /></div>`}
    <${Alert} error=${remove.error} />
  </li>`;
}

export function DocumentList({ documents, onChanged = null }) {
  const viewer = useViewer();
  if (!documents.length) return html`<${Empty}>${t("documents.empty")}</${Empty}>`;
  return html`<ul class="list" aria-label=${t("documents.title")}>
    ${documents.map((document) => html`<${DocumentItem} key=${document.id} document=${document}
      readOnly=${isReadOnly(viewer)} onChanged=${onChanged} />`)}
  </ul>`;
}

function Search() {
  const [query, setQuery] = useState("");
  const [submitted, setSubmitted] = useState(null);
  const result = useQuery(SEARCH, { query: submitted || "" }, { skip: !submitted });
  const hits = result.data ? result.data.searchKnowledge : null;
  return html`<section class="card stack" aria-label=${t("search.title")}>
    <form class="search" role="search" onSubmit=${(event) => { event.preventDefault(); setSubmitted(query.trim() || null); }}>
      <input type="search" aria-label=${t("search.title")} placeholder=${t("search.placeholder")} value=${query}
        onInput=${(event) => setQuery(event.target.value)} maxlength="500" />
      <button type="submit">${t("search.button")}</button>
    </form>
    <${Alert} error=${result.error} />
    ${submitted && result.loading && html`<${Loading} />`}
    ${hits && (hits.length === 0 ? html`<${Empty}>${t("search.none", { query: submitted })}</${Empty}>` : html`
      <ol class="hits" aria-label=${t("search.results")}>
        ${hits.map((hit) => html`<li class="hit">
          <div class="hit-head"><strong>${hit.document.title}</strong>
            <small class="muted">${t("search.score", { score: formatNumber(hit.score, { maximumFractionDigits: 2 }) })}</small></div>
          <${Snippet} html=${hit.snippet} />
          ${hit.document.project && html`<small><a href=${href(`/projects/${hit.document.project.id}`)}>${hit.document.project.name}</a></small>`}
        </li>`)}
      </ol>`)}
  </section>`;
}

export function KnowledgePage() {
  const viewer = useViewer();
  const cursor = useCursor();
  const { data, error, loading, reload } = useQuery(DOCUMENTS, { first: 20, after: cursor.after });
  const page = data && data.documents;
  return html`<section>
    <${PageHeader} title=${t("knowledge.title")} />
    <${Search} />
    ${!isReadOnly(viewer) && html`<${AddDocumentForm} onAdded=${() => (cursor.page > 1 ? cursor.reset() : reload())} />`}
    <h2>${t("documents.title")} ${page && html`<span class="muted">(${page.totalCount})</span>`}</h2>
    <${Alert} error=${error} />
    ${loading && !page ? html`<${Loading} />` : page && html`<${DocumentList} documents=${page.nodes} onChanged=${reload} />`}
    <${Pager} page=${cursor.page} pageInfo=${page && page.pageInfo} onPrevious=${cursor.previous} onNext=${cursor.next} />
  </section>`;
}
