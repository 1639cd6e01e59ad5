// The sample: its ID and target count, "New sample", and the earlier samples kept in this browser.
import { counted, element, make } from './ui-parts.js';

const LABEL_SAVE_DELAY_MS = 400;  // one write when the typing pauses, not one per key

export const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const sampleName = (record) => record.label || 'Sample without ID';

export function initSamples({ onLabel, onTarget, onWbc, onNew, onOpen, onDelete }) {
  const input = element('sample-id');
  let timer = null;
  const save = () => {
    clearTimeout(timer);
    timer = null;
    onLabel(input.value.trim());
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(save, LABEL_SAVE_DELAY_MS);
  });
  input.addEventListener('change', save);
  const target = element('target-count');
  target.addEventListener('change', () => {
    const value = Math.round(Number(target.value));
    if (Number.isFinite(value) && value >= 1) onTarget(value);
    else target.value = target.dataset.saved;
  });
  // The analyser's white-cell count: empty for none; a value out of range is refused and said why.
  const wbc = element('wbc-count');
  wbc.addEventListener('change', () => {
    const text = wbc.value.trim();
    const value = Number(text.replace(',', '.'));
    if (!text) {
      element('wbc-note').textContent = '';
      onWbc(null);
    } else if (Number.isFinite(value) && value >= Number(wbc.min) && value <= Number(wbc.max)) {
      element('wbc-note').textContent = '';
      onWbc(value);
    } else {
      element('wbc-note').textContent = `Not used: a white-cell count is between ${wbc.min} and ${wbc.max} ×10⁹/L.`;
      wbc.value = wbc.dataset.saved || '';
    }
  });
  element('new-sample').addEventListener('click', onNew);
  element('sample-list').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const key = Number(button.closest('li').dataset.sampleKey);
    if (button.dataset.action === 'open') onOpen(key);
    else onDelete(key);
  });
}

export function showSample(record) {
  element('sample-id').value = record.label;
  element('target-count').value = String(record.target);
  element('target-count').dataset.saved = String(record.target);
  element('wbc-count').value = record.wbc ?? '';
  element('wbc-count').dataset.saved = record.wbc ?? '';
  element('wbc-note').textContent = '';
}

function sampleItem(record) {
  const item = make('li');
  item.dataset.sampleKey = String(record.key);
  const open = make('button', null, 'Open');
  open.type = 'button';
  open.dataset.action = 'open';
  open.setAttribute('aria-label', `Open ${sampleName(record)}, started ${when(record.created)}`);
  const remove = make('button', 'quiet', 'Delete');
  remove.type = 'button';
  remove.dataset.action = 'delete';
  remove.setAttribute('aria-label', `Delete ${sampleName(record)}, started ${when(record.created)}`);
  item.append(make('span', 'name', sampleName(record)),
    make('span', 'when', `started ${when(record.created)}; ${counted(record.photos, 'photo')}`), open, remove);
  return item;
}

// Every kept sample but the one open now, the most recently opened first.
export function showSampleList(samples, currentKey) {
  const others = samples.filter((record) => record.key !== currentKey)
    .sort((a, b) => (a.opened < b.opened ? 1 : -1));
  element('samples').hidden = others.length === 0;
  element('sample-list').replaceChildren(...others.map(sampleItem));
}

// Switching or starting samples waits until the photos being classified are done.
export function setSamplesBusy(busy) {
  element('new-sample').disabled = busy;
  for (const button of element('sample-list').querySelectorAll('button')) button.disabled = busy;
}

export function focusSampleId() {
  element('sample-id').focus();
}
