// The page's own controls and messages: status, notices, the model's facts, picking photos, progress,
// confirmations, export and print. Every DOM access of the page lives in ui*.js: this file, the photo
// cards (ui-photos.js), the selected cell (ui-inspector.js), the differential (ui-differential.js) and
// the samples (ui-samples.js).
import { SUPPORTED_FORMATS } from './image-file.js';
import { counted, element, percent } from './ui-parts.js';
import facts from './facts.json' with { type: 'json' };

// For clinic staff: where the work happens, not the name of a TensorFlow.js backend.
const PROCESSOR = 'this computer\'s processor';
const BACKEND_WORDS = { webgl: 'this computer\'s graphics processor', wasm: PROCESSOR, cpu: PROCESSOR };

// The formats the file picker offers are the ones the page reads (facts.json), named for people too.
export function showAcceptedFormats() {
  element('file-input').accept = facts.image_formats.map((format) => format.mime).join(',');
  element('formats-hint').textContent = `${SUPPORTED_FORMATS}; one or many`;
}

// The page's state for scripts (tests, the benchmark) as attributes, never as wording:
// <html data-model="loading|ready|error" data-backend="wasm|webgl|cpu">.
export function setModelState(state, backend) {
  document.documentElement.dataset.model = state;
  if (backend) document.documentElement.dataset.backend = backend;
}

export function setStatus(state, message) {
  const status = element('status');
  status.dataset.state = state;
  status.textContent = message;
}

// Why the page is not using the server's current model (see loadDefaultModel), or nothing.
export function showNotice(message) {
  const notice = element('notice');
  notice.textContent = message || '';
  notice.hidden = !message;
}

export function showOfflineUse(state, text) {
  const offlineUse = element('offline-use');
  offlineUse.dataset.state = state;
  offlineUse.textContent = text;
}

export function showModel({ metadata, backend }) {
  element('model-name').textContent = `${metadata.name} (version ${metadata.version})`;
  element('backend').textContent = BACKEND_WORDS[backend] || backend;
  element('backend').title = `TensorFlow.js backend: ${backend}`;
  element('report-model').textContent = `${metadata.name} (version ${metadata.version})`;
  element('model-accuracy').textContent = heldOutAccuracy(metadata.metrics || {}) || 'not measured';
}

// Accuracy on each lab's held-out photos (TEST); models from before several labs name no source.
function heldOutAccuracy(metrics) {
  const tests = metrics.sources
    ? Object.entries(metrics.sources).filter(([, splits]) => splits.TEST).map(([name, splits]) => [name, splits.TEST])
    : ['TEST'].filter((split) => metrics[split]).map((split) => [null, metrics[split]]);
  return tests.map(([name, { accuracy, images }]) => `${percent(accuracy)} of ${images.toLocaleString('en')} photos`
    + (name ? ` (${name})` : '')).join('; ');
}

export function onFiles(handler) {
  const input = element('file-input');
  input.addEventListener('change', () => {
    handler([...input.files]);
    input.value = '';  // so picking the same file again still fires
  });
  const zone = element('drop-zone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (!input.disabled) zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    if (!input.disabled) handler([...event.dataTransfer.files]);
  });
  // A photo dropped just beside the zone would otherwise open in the tab and throw away every result.
  window.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (input.disabled || !zone.contains(event.target)) event.dataTransfer.dropEffect = 'none';
  });
  window.addEventListener('drop', (event) => event.preventDefault());
}

// After a failed model load: picking photos could only disappoint.
export function disableFiles() {
  element('file-input').disabled = true;
  element('drop-zone').classList.add('disabled');
}

export function onClear(handler) {
  element('clear-results').addEventListener('click', handler);
}

// The photos kept for the sample could not all be kept: say so once, plainly, and carry on.
export function showStorageProblem(message) {
  const notice = element('storage-notice');
  notice.textContent = message;
  notice.hidden = !message;
}

const PERSISTENCE = {
  granted: 'until deleted here (the browser granted persistent storage)',
  'not-granted': 'until the browser needs the disk space (persistent storage was not granted): export the CSV of each sample',
  unsupported: 'until the browser needs the disk space (this browser cannot grant persistent storage)',
  'not-kept': 'not kept: this browser\'s storage cannot be used (see the message above)',
};

// Whether navigator.storage.persist() was granted, so staff know how safe the kept samples are.
export function showPersistence(state) {
  const shown = element('storage-persistence');
  shown.dataset.state = state;
  shown.textContent = PERSISTENCE[state];
}

// "Photo 7 of 50" and the cells found so far, while a run of photos is being classified.
export function showProgress(run) {
  const progress = element('progress');
  progress.hidden = !run;
  if (!run) return;
  Object.assign(progress.dataset, { done: String(run.done), total: String(run.total) });
  const bar = element('progress-bar');
  bar.max = run.total;
  bar.value = run.done;
  element('progress-text').textContent = `Photo ${Math.min(run.done + 1, run.total)} of ${run.total}`
    + ` (${counted(run.cells, 'cell')} found so far)`;
}

// A question before something that cannot be undone: resolves true when the person confirms.
export function confirmAction(message, confirmLabel) {
  const dialog = element('confirm-dialog');
  element('confirm-text').textContent = message;
  element('confirm-ok').textContent = confirmLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
    element('confirm-cancel').focus();  // the safe answer is the default one
  });
}

export function initConfirm() {
  element('confirm-ok').addEventListener('click', () => element('confirm-dialog').close('ok'));
  element('confirm-cancel').addEventListener('click', () => element('confirm-dialog').close('cancel'));
}

export function onExport(handler) {
  element('export-csv').addEventListener('click', handler);
}

export function onPrint(beforePrint) {
  element('print-report').addEventListener('click', () => window.print());
  // Also for the browser's own Print command: the report always shows the day it was printed.
  window.addEventListener('beforeprint', beforePrint);
  const photos = element('print-photos');
  photos.addEventListener('change', () => document.body.classList.toggle('print-photos', photos.checked));
}

// report: { label, date, photos, models, wbc, signature } for the printed report's heading.
export function showReportFacts({ label, date, photos, models, wbc, signature }) {
  element('report-sample').textContent = label || 'no ID given';
  element('report-date').textContent = date;
  element('report-photos').textContent = String(photos);
  element('report-wbc').textContent = wbc === null ? 'not given' : `${wbc} ×10⁹/L`;
  element('report-signed').textContent = signature;
  if (models.length) element('report-model').textContent = models.join('; ');
}

// Initials (and, to reopen, a reason) for a sign-off: resolves { initials, reason } or null (cancelled).
export function askSignature({ title, text, okLabel, withReason }) {
  const dialog = element('sign-dialog');
  element('sign-title').textContent = title;
  element('sign-text').textContent = text;
  element('sign-ok').textContent = okLabel;
  element('reopen-field').hidden = !withReason;
  element('reopen-reason').required = withReason;
  element('sign-initials').value = '';
  element('reopen-reason').value = '';
  element('sign-error').textContent = '';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? {
      initials: element('sign-initials').value.trim(), reason: element('reopen-reason').value.trim(),
    } : null), { once: true });
    dialog.showModal();
    element('sign-initials').focus();
  });
}

export function initSignDialog() {
  element('sign-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const reasonNeeded = !element('reopen-field').hidden;
    // The first field still empty gets the message and the focus.
    const [missing, message] = !element('sign-initials').value.trim() ? ['sign-initials', 'Type your initials.']
      : reasonNeeded && !element('reopen-reason').value.trim() ? ['reopen-reason', 'Say why it is reopened.'] : [];
    if (!missing) {
      element('sign-dialog').close('ok');
      return;
    }
    element('sign-error').textContent = message;
    element(missing).focus();
  });
  element('sign-cancel').addEventListener('click', () => element('sign-dialog').close('cancel'));
}

export function onSignOff(handler) {
  element('sign-off').addEventListener('click', handler);
}

// Why the sample could not be signed, or what was done; nothing when text is empty.
export function showSignNote(text, refused = false) {
  const note = element('sign-note');
  note.textContent = text;
  note.hidden = !text;
  note.className = refused ? 'notice refused' : 'notice';
}

// The CSV is handed to the browser as a file from memory: nothing is uploaded anywhere.
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// What can be done now: export and print once there is something to report; clearing and switching
// samples not while photos are being classified; a signed sample takes no photos and no changes.
export function setActions({ hasPhotos, busy, signed }) {
  element('export-csv').disabled = !hasPhotos;
  element('print-report').disabled = !hasPhotos;
  element('clear-results').disabled = !hasPhotos || busy || signed;
  const sign = element('sign-off');
  sign.disabled = !hasPhotos || busy;
  sign.textContent = signed ? 'Reopen…' : 'Sign off…';
  sign.dataset.signed = String(signed);
  element('file-input').disabled = signed || document.documentElement.dataset.model === 'error';
  element('drop-zone').classList.toggle('disabled', element('file-input').disabled);
  for (const id of ['target-count', 'wbc-count', 'sample-id']) element(id).disabled = signed;
}
