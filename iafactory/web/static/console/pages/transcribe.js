// Transcription: pick or drop a file, upload it (GraphQL multipart), watch the progress and the
// segments arrive over the subscription, then read, copy or download the transcript.
import { html, useEffect, useRef, useState } from "../lib/html.js";
import { formatDate, formatSeconds, languageName, t } from "../lib/i18n.js";
import { upload } from "../lib/api.js";
import { useAction, useCursor, useQuery } from "../lib/hooks.js";
import { href, navigate } from "../lib/router.js";
import { accessToken, call } from "../lib/session.js";
import { subscribe } from "../lib/subscriptions.js";
import {
  CANCEL_TRANSCRIPTION, TRANSCRIBE, TRANSCRIPTION, TRANSCRIPTION_PROGRESS, TRANSCRIPTIONS, TRANSCRIPT_FILE,
} from "../lib/operations.js";
import { isReadOnly, useViewer } from "../lib/viewer.js";
import {
  Alert, CopyButton, Empty, Field, Loading, PageHeader, Pager, ProgressBar, download,
} from "../components/widgets.js";
import { ProjectSelect } from "./knowledge.js";

const LANGUAGES = ["", "fr", "en", "ar", "es", "de", "it", "pt", "nl"];
const ACCEPT = "audio/*,video/*,.wav,.mp3,.ogg,.oga,.opus,.flac,.m4a,.aac,.webm,.mp4";
const FINISHED = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const FILES = [["TEXT", "txt"], ["SRT", "srt"], ["VTT", "vtt"]];

function Status({ status }) {
  return html`<span class=${`status status-${status.toLowerCase()}`}>${t(`transcribe.status.${status}`)}</span>`;
}

export function TranscriptionList({ transcriptions }) {
  if (!transcriptions.length) return html`<${Empty}>${t("transcribe.none")}</${Empty}>`;
  return html`<ul class="list" aria-label=${t("transcribe.recent")}>
    ${transcriptions.map((item) => html`<li class="row">
      <div class="grow"><a class="row-title" href=${href(`/transcriptions/${item.id}`)}>${item.filename}</a>
        <small class="muted"> · ${formatDate(item.createdAt)}${item.duration ? ` · ${formatSeconds(item.duration)}` : ""}</small></div>
      <${Status} status=${item.status} />
    </li>`)}
  </ul>`;
}

function DropZone({ file, onFile }) {
  const [over, setOver] = useState(false);
  const drop = (event) => {
    event.preventDefault();
    setOver(false);
    const dropped = event.dataTransfer && event.dataTransfer.files[0];
    if (dropped) onFile(dropped);
  };
  return html`<label class=${over ? "dropzone over" : "dropzone"}
      onDragOver=${(event) => { event.preventDefault(); setOver(true); }} onDragLeave=${() => setOver(false)} onDrop=${drop}>
    <input type="file" name="file" accept=${ACCEPT} aria-label=${t("transcribe.file")}
      onChange=${(event) => onFile(event.target.files[0] || null)} />
    <span>${file ? html`<strong>${file.name}</strong>` : t("transcribe.drop")}</span>
  </label>`;
}

export function TranscribePage({ route }) {
  const viewer = useViewer();
  const [file, setFile] = useState(null);
  const [sent, setSent] = useState(null);
  const cursor = useCursor();
  const list = useQuery(TRANSCRIPTIONS, { first: 10, after: cursor.after });
  const action = useAction(async (form) => {
    const values = Object.fromEntries(new FormData(form).entries());
    const variables = { addToKnowledgeBase: values.addToKnowledgeBase === "on" };
    if (values.language) variables.language = values.language;
    if (values.projectId) variables.projectId = values.projectId;
    setSent(0);
    try {
      const data = await upload(TRANSCRIBE, variables, file, { token: await accessToken(), onProgress: setSent });
      navigate(`/transcriptions/${data.transcribeAudio.id}`);
    } finally {
      setSent(null);
    }
  });
  const page = list.data && list.data.transcriptions;
  return html`<section>
    <${PageHeader} title=${t("transcribe.title")} />
    ${!isReadOnly(viewer) && html`<form class="card stack" aria-label=${t("transcribe.title")}
        onSubmit=${(event) => { event.preventDefault(); if (file) action.run(event.currentTarget); }}>
      <${DropZone} file=${file} onFile=${setFile} />
      <div class="inline-form">
        <${Field} label=${t("transcribe.language")}>
          <select name="language">${LANGUAGES.map((code) => html`<option value=${code}>${code ? languageName(code) : t("transcribe.autoDetect")}</option>`)}</select>
        </${Field}>
        <${ProjectSelect} value=${route.params.get("project") || ""} />
      </div>
      <label class="check"><input type="checkbox" name="addToKnowledgeBase" /> ${t("transcribe.addToKnowledge")}</label>
      ${sent !== null && html`<${ProgressBar} value=${sent} label=${t("transcribe.uploading")} />`}
      <${Alert} error=${action.error} />
      <div><button type="submit" disabled=${!file || action.busy}>${action.busy ? t("transcribe.uploading") : t("transcribe.upload")}</button></div>
    </form>`}
    <h2>${t("transcribe.recent")}</h2>
    <${Alert} error=${list.error} />
    ${list.loading && !page ? html`<${Loading} />` : page && html`<${TranscriptionList} transcriptions=${page.nodes} />`}
    <${Pager} page=${cursor.page} pageInfo=${page && page.pageInfo} onPrevious=${cursor.previous} onNext=${cursor.next} />
  </section>`;
}

const segmentKey = (segment) => `${segment.start}:${segment.end}`;

function mergeSegments(existing, added) {
  const seen = new Set(existing.map(segmentKey));
  const merged = [...existing, ...added.filter((segment) => !seen.has(segmentKey(segment)))];
  return merged.sort((a, b) => a.start - b.start);
}

// The transcription as the subscription tells it; the first event is the current state.
function useLiveTranscription(id) {
  const [state, setState] = useState({ transcription: null, segments: [], error: null });
  const reloads = useRef(0);
  useEffect(() => {
    let live = true;
    const load = async () => {
      const mine = ++reloads.current;
      try {
        const { transcription } = await call(TRANSCRIPTION, { id });
        if (!live || mine !== reloads.current) return;
        setState((previous) => ({
          transcription: transcription && { ...previous.transcription, ...transcription },
          segments: transcription ? mergeSegments(previous.segments, transcription.segments) : [],
          error: null,
          missing: !transcription,
        }));
        return transcription;
      } catch (error) {
        if (live) setState((previous) => ({ ...previous, error }));
        return null;
      }
    };
    let stop = () => {};
    load().then((first) => {
      if (!live || !first || FINISHED.has(first.status)) return;
      let firstEvent = true;
      stop = subscribe(TRANSCRIPTION_PROGRESS, { id }, {
        next: ({ transcriptionProgress: event }) => {
          setState((previous) => ({
            ...previous,
            transcription: { ...previous.transcription, ...event.transcription },
            segments: event.segment ? mergeSegments(previous.segments, [event.segment]) : previous.segments,
          }));
          // Segments stored between the query and the subscription: read them once.
          if (firstEvent) load();
          firstEvent = false;
          if (FINISHED.has(event.transcription.status)) load();
        },
        error: (error) => setState((previous) => ({ ...previous, error })),
        complete: () => load(),
      });
    });
    return () => {
      live = false;
      stop();
    };
  }, [id]);
  return state;
}

function Downloads({ transcription }) {
  const action = useAction(async (format, extension) => {
    const data = await call(TRANSCRIPT_FILE, { id: transcription.id, format });
    const base = transcription.filename.replace(/\.[^.]+$/, "") || "transcript";
    const type = extension === "vtt" ? "text/vtt" : extension === "srt" ? "application/x-subrip" : "text/plain";
    download(`${base}.${extension}`, data.transcription.subtitles || "", type);
  });
  return html`<div class="button-row">
    <${CopyButton} text=${transcription.text || ""} label=${t("transcribe.copy")} />
    ${FILES.map(([format, extension]) => html`<button type="button" class="secondary" disabled=${action.busy}
      onClick=${() => action.run(format, extension)}>${t("transcribe.download", { ext: extension.toUpperCase() })}</button>`)}
    <${Alert} error=${action.error} />
  </div>`;
}

export function TranscriptionPage({ id }) {
  const viewer = useViewer();
  const { transcription, segments, error, missing } = useLiveTranscription(id);
  const cancel = useAction(() => call(CANCEL_TRANSCRIPTION, { id }));
  if (missing) return html`<section><${PageHeader} title=${t("transcribe.notFound")} /><a href=${href("/transcribe")}>← ${t("transcribe.back")}</a></section>`;
  if (!transcription) return error ? html`<${Alert} error=${error} />` : html`<${Loading} />`;
  const running = !FINISHED.has(transcription.status);
  return html`<section>
    <p><a href=${href("/transcribe")}>← ${t("transcribe.back")}</a></p>
    <${PageHeader} title=${transcription.filename}><${Status} status=${transcription.status} /></${PageHeader}>
    <p class="muted">${[
      transcription.duration ? formatSeconds(transcription.duration) : null,
      transcription.language || transcription.detectedLanguage ? languageName(transcription.language || transcription.detectedLanguage) : null,
      transcription.project ? transcription.project.name : null,
    ].filter(Boolean).join(" · ")}</p>
    <${ProgressBar} value=${transcription.progress} label=${t("transcribe.progress")} />
    <${Alert} error=${error || cancel.error} />
    ${transcription.status === "FAILED" && html`<div class="alert" role="alert"><strong>${t("transcribe.failed")}</strong>
      <span class="alert-detail">${transcription.error}</span></div>`}
    ${running && !isReadOnly(viewer) && html`<div><button type="button" class="secondary" disabled=${cancel.busy} onClick=${() => cancel.run()}>${t("transcribe.cancel")}</button></div>`}
    ${transcription.status === "COMPLETED" && html`<section class="card stack" aria-label=${t("transcribe.transcript")}>
      <h2 class="card-title">${t("transcribe.transcript")}</h2>
      <p class="transcript">${transcription.text}</p>
      <${Downloads} transcription=${transcription} />
    </section>`}
    <h2>${t("transcribe.segments")} <span class="muted">(${segments.length})</span></h2>
    ${segments.length === 0 ? html`<${Empty}>${running ? t("transcribe.waiting") : t("transcribe.noSegments")}</${Empty}>` : html`
      <ol class="segments" aria-label=${t("transcribe.segments")}>
        ${segments.map((segment) => html`<li><span class="time">${formatSeconds(segment.start)} – ${formatSeconds(segment.end)}</span> ${segment.text}</li>`)}
      </ol>`}
  </section>`;
}
