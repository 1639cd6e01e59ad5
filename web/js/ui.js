// Every DOM access of the page lives here.
import { SUPPORTED_FORMATS } from './image-file.js';
import facts from './facts.json' with { type: 'json' };


const element = (id) => document.getElementById(id);
const percent = (p) => `${(100 * p).toFixed(1)}%`;
// A model's probability is never certainty: 0.9996 reads "> 99.9%", not "100.0%".
const probabilityText = (p) => (p >= 0.9995 ? '> 99.9%' : p > 0 && p < 0.0005 ? '< 0.1%' : percent(p));
const label = (name) => name.charAt(0) + name.slice(1).toLowerCase();

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

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
  element('backend').textContent = backend;
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

function addCard(card) {
  element('results').prepend(card);
  element('clear-results').disabled = false;
}

// A labelled horizontal bar for a share between 0 and 1, with the text shown at its end.
function shareBar(name, share, text) {
  const bar = make('div', 'bar');
  const track = make('div', 'track');
  track.setAttribute('role', 'meter');
  track.setAttribute('aria-label', label(name));
  track.setAttribute('aria-valuemin', '0');
  track.setAttribute('aria-valuemax', '100');
  track.setAttribute('aria-valuenow', (100 * share).toFixed(1));
  const fill = make('div', 'fill');
  fill.style.width = percent(share);
  track.append(fill);
  bar.append(make('span', 'name', label(name)), track, make('span', 'value', text));
  return bar;
}

function probabilityBar(name, probability) {
  const bar = shareBar(name, probability, probabilityText(probability));
  bar.dataset.class = name;
  bar.dataset.probability = String(probability);
  return bar;
}

// The differential count: how the photos classified so far divide among the classes. It is read
// from the result cards themselves, so clearing them (or an unreadable photo) can never skew it.
export function updateSummary(classes) {
  const cards = [...element('results').querySelectorAll('.result')];
  const tops = cards.map((card) => card.dataset.topClass).filter(Boolean);
  const unreadable = cards.length - tops.length;
  element('summary').hidden = cards.length === 0;
  const photos = (n) => `${n.toLocaleString('en')} photo${n === 1 ? '' : 's'}`;
  element('summary-total').textContent = `${photos(tops.length)} classified`
    + (unreadable ? `; ${photos(unreadable)} could not be read and are not counted.` : '.');
  element('summary-bars').replaceChildren(...classes.map((name) => {
    const count = tops.filter((top) => top === name).length;
    const share = tops.length ? count / tops.length : 0;
    const bar = shareBar(name, share, `${percent(share)} (${count})`);
    bar.dataset.summaryClass = name;
    bar.dataset.count = String(count);
    return bar;
  }));
}

export function addResult(file, { classes, probabilities, milliseconds }) {
  const ranked = classes.map((name, i) => [name, probabilities[i]]).sort((a, b) => b[1] - a[1]);
  const [topClass, topProbability] = ranked[0];
  const card = make('article', 'result');
  card.dataset.file = file.name;
  card.dataset.topClass = topClass;
  const picture = make('img');
  picture.src = URL.createObjectURL(file);
  picture.alt = `Smear photo ${file.name}`;
  const body = make('div', 'body');
  const bars = make('div', 'bars');
  bars.append(...ranked.map(([name, probability]) => probabilityBar(name, probability)));
  body.append(
    make('p', 'file', file.name),
    make('p', 'top', `${label(topClass)} ${probabilityText(topProbability)}`),
    bars,
    make('p', 'time', `classified in ${milliseconds.toFixed(1)} ms`),
  );
  card.append(picture, body);
  addCard(card);
}

export function addError(file, message) {
  const card = make('article', 'result');
  card.dataset.file = file.name;
  card.dataset.error = message;
  card.append(make('p', 'file', file.name), make('p', 'error', message));
  addCard(card);
}

export function clearResults() {
  for (const picture of element('results').querySelectorAll('img')) URL.revokeObjectURL(picture.src);
  element('results').replaceChildren();
  element('clear-results').disabled = true;
}
