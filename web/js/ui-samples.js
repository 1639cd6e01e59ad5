// The sample: its ID and target count, "New sample", and the earlier samples kept in this browser.
import { typedWbc, WBC_LIMITS } from './differential.js';
import { isoLocal, signature } from './export.js';
import { counted, element, make } from './ui-parts.js';

// As the report and the CSV write it: ISO 8601 with the time zone, whatever the browser's language.
const when = (iso) => isoLocal(new Date(iso));
export const sampleName = (record) => record.label || 'Sample without ID';

// A whole number of cells from 1, or null while what is typed is not one yet.
function typedTarget(field) {
  const value = Math.round(Number(field.value));
  return field.value.trim() && Number.isFinite(value) && value >= 1 ? value : null;
}

// The ID and the target are saved at every keystroke (one small record) and again as the page goes
// away, so a reload or a crash right after typing keeps them; saving only after a pause in typing
// lost the last 0.4 s of it.
export function initSamples({ onLabel, onTarget, onWbc, onNew, onOpen, onDelete }) {
  const input = element('sample-id');
  const target = element('target-count');
  const saveLabel = () => onLabel(input.value.trim());
  const saveTarget = () => {
    const value = typedTarget(target);
    if (value === null || String(value) === target.dataset.saved) return;
    target.dataset.saved = String(value);
    onTarget(value);
  };
  input.addEventListener('input', saveLabel);
  input.addEventListener('change', saveLabel);
  target.addEventListener('input', saveTarget);
  target.addEventListener('change', () => {
    saveTarget();
    if (typedTarget(target) === null) target.value = target.dataset.saved;
  });
  window.addEventListener('pagehide', () => {
    saveLabel();
    saveTarget();
  });
  // The analyser's white-cell count: empty for none; anything else than a count in range is refused and
  // said why. A text field, not a number field: Chromium's number field drops the comma of "7,4" (74).
  const wbc = element('wbc-count');
  wbc.addEventListener('change', () => {
    const value = typedWbc(wbc.value);
    if (Number.isNaN(value)) {
      element('wbc-note').textContent = `Not used: "${wbc.value.trim()}". Type a count between ${WBC_LIMITS.min} and `
        + `${WBC_LIMITS.max} ×10⁹/L, as 7.4 or 7,4.`;
      wbc.value = wbc.dataset.saved || '';
      return;
    }
    element('wbc-note').textContent = '';
    wbc.dataset.saved = value ?? '';
    onWbc(value);
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
    make('span', 'when', `started ${when(record.created)}; ${counted(record.photos, 'photo')}`),
    make('span', record.signed ? 'review signed' : 'review draft', signature(record.signed)), open, remove);
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

// A sample just started or opened is seen from its top, the focus on its ID (not lost with the list it was
// opened from), or on "Reopen…" when it is signed and its ID cannot change.
export function focusSampleId() {
  window.scrollTo({ top: 0, behavior: 'instant' });
  const field = element('sample-id');
  (field.disabled ? element('sign-off') : field).focus({ preventScroll: true });
}
