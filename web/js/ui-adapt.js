// The "Adapt to this microscope" panel: the reviewed cells held per class (and deleting them), adapting,
// its progress and its honest result, the versions kept, reverting, exporting and importing.
// Hooks: button#adapt-model, #adapt-status[data-state=idle|training|done|rejected|error][data-before][data-after]
// (balanced accuracy, 0..1, on the held-out reviewed cells)[data-seconds] (time to adapt),
// button#revert-model, button#export-model, input#import-model.
import { AdaptationError, adaptationRecord, adaptedMetadata, applyHead, currentHead, isImprovement, notReadyReason,
  runAdaptation, usableCells } from './adapt.js';
import { countsByClass, ReviewedStore } from './reviewed-store.js';
import { element, label, make } from './ui-parts.js';

const panel = {
  store: null,         // ReviewedStore, or null when this browser cannot keep them
  loaded: null,        // the page's { model, metadata (the shipped one), artifacts, replay }
  shippedHead: null,
  active: null,        // the adaptation the page classifies with, or null
  cells: [],
  busy: false,
  order: [],
  onModelChanged: () => {},
  exportModel: null,   // (loaded, adaptation) => download; set by the export module
  importModel: null,   // (files, loaded) => adaptation record
};

const percent = (value) => `${(100 * value).toFixed(1)}%`;

function setStatus(state, text, figures = {}) {
  const status = element('adapt-status');
  status.dataset.state = state;
  status.textContent = text;
  for (const key of ['before', 'after', 'seconds']) {
    if (figures[key] === undefined || figures[key] === null) delete status.dataset[key];
    else status.dataset[key] = String(figures[key]);
  }
}

function showCounts() {
  const rows = countsByClass(panel.cells, panel.order).map(([name, count]) => {
    const row = make('tr');
    const remove = make('button', 'quiet', 'Delete');
    remove.type = 'button';
    remove.dataset.deleteClass = name;
    remove.setAttribute('aria-label', `Delete the ${count} reviewed cells of class ${name.toLowerCase()}`);
    const action = make('td');
    action.append(remove);
    row.append(make('td', null, label(name)), make('td', 'count', String(count)), action);
    row.dataset.class = name;
    row.dataset.count = String(count);
    return row;
  });
  element('reviewed-rows').replaceChildren(...rows);
  element('reviewed-total').textContent = panel.store
    ? `${panel.cells.length} reviewed ${panel.cells.length === 1 ? 'cell' : 'cells'} kept in this browser.`
    : 'This browser cannot keep reviewed cells (its storage is blocked).';
  element('delete-reviewed').disabled = !panel.cells.length || panel.busy;
}

function showButtons() {
  const why = notReadyReason(panel.cells, panel.loaded);
  element('adapt-model').disabled = Boolean(why) || panel.busy || !panel.store;
  element('adapt-why').textContent = why || '';
  element('revert-model').disabled = !panel.active || panel.busy;
  element('export-model').disabled = !panel.active || panel.busy;
  element('import-model').disabled = panel.busy || !panel.loaded;
}

async function showVersions() {
  const list = panel.store ? await panel.store.adaptations() : [];
  element('adaptation-list').replaceChildren(...list.filter((a) => a.adopted).map((adaptation) => {
    const item = make('li');
    item.dataset.adaptation = adaptation.id;
    const text = `Adaptation ${adaptation.id}: ${adaptation.cells} cells, ${new Date(adaptation.created).toLocaleString()}, `
      + `${percent(adaptation.before)} → ${percent(adaptation.after)}`
      + (adaptation.source === 'this browser' ? '' : ` (imported from ${adaptation.source})`);
    item.append(text);
    if (panel.active && panel.active.id === adaptation.id) item.append(make('strong', null, ' (in use)'));
    else {
      const use = make('button', 'quiet', 'Use it');
      use.type = 'button';
      use.dataset.useAdaptation = adaptation.id;
      use.disabled = panel.busy || adaptation.base.version !== panel.loaded?.metadata.version;
      item.append(' ', use);
    }
    return item;
  }));
}

async function refresh() {
  if (panel.store) panel.cells = await panel.store.cells();
  showCounts();
  showButtons();
  await showVersions();
}

// The page classifies with this adaptation (null: the shipped model) from now on.
async function activate(adaptation) {
  applyHead(panel.loaded.model, adaptation ? adaptation.head : panel.shippedHead);
  panel.active = adaptation;
  if (panel.store) await panel.store.setActive(adaptation ? adaptation.id : null);
  panel.onModelChanged(adaptedMetadata(panel.loaded.metadata, adaptation));
}

async function adapt() {
  const cells = usableCells(panel.cells, panel.loaded.metadata);
  panel.busy = true;
  showButtons();
  const bar = element('adapt-progress');
  bar.hidden = false;
  bar.value = 0;
  setStatus('training', `Adapting to ${cells.length} reviewed cells…`);
  const started = performance.now();
  try {
    const result = await runAdaptation(cells, panel.loaded, { onProgress: (fraction) => { bar.value = fraction; } });
    const record = adaptationRecord(result, cells, panel.loaded.metadata, (performance.now() - started) / 1000);
    await panel.store.putAdaptation(record);
    const figures = { before: record.before, after: record.after, seconds: record.seconds };
    const measured = `on ${record.heldOut} of your reviewed cells, each left out of the training that predicted it: `
      + `before ${percent(record.before)}, after ${percent(record.after)} (balanced accuracy)`;
    if (isImprovement(record)) {
      await activate(record);
      setStatus('done', `Adapted (adaptation ${record.id}), ${measured}. New photos are classified with it.`, figures);
    } else {
      setStatus('rejected', `Not adopted: no better ${measured}. The page keeps the model it had.`, figures);
    }
  } catch (error) {
    const why = error instanceof AdaptationError ? error.message : `something went wrong (${error.message})`;
    setStatus('error', `Adapting failed: ${why}. The page keeps the model it had; your reviewed cells are kept.`);
  } finally {
    panel.busy = false;
    bar.hidden = true;
    await refresh();
  }
}

async function revert() {
  await activate(null);
  setStatus('idle', 'Back to the shipped model. Adapted versions are kept below.');
  await refresh();
}

async function useAdaptation(id) {
  const adaptation = (await panel.store.adaptations()).find((a) => a.id === id);
  if (!adaptation) return;
  await activate(adaptation);
  setStatus('done', `Using adaptation ${id} again.`, { before: adaptation.before, after: adaptation.after });
  await refresh();
}

async function deleteCells(names) {
  await panel.store.deleteClasses(names);
  await refresh();
}

async function importFiles(files) {
  if (!files.length || !panel.importModel) return;
  try {
    const record = await panel.importModel(files, panel.loaded);
    await panel.store.putAdaptation(record);
    await activate(record);
    setStatus('done', `Imported adaptation ${record.id} (${record.cells} cells; where it was made: before `
      + `${percent(record.before)}, after ${percent(record.after)}). New photos are classified with it.`,
    { before: record.before, after: record.after });
  } catch (error) {
    setStatus('error', `Not imported: ${error.message}`);
  }
  await refresh();
}

// A reviewed cell (corrected, or confirmed): kept as an example of this microscope.
export async function cellReviewed(cell) {
  if (!panel.store) return;
  try {
    await panel.store.putCell(cell);
  } catch (error) {
    element('reviewed-total').textContent = `This reviewed cell could not be kept: ${error.message}.`;
    return;
  }
  await refresh();
}

// A cell marked "not a cell" is no example of any class.
export async function cellExcluded(key) {
  if (!panel.store) return;
  await panel.store.deleteCell(key).catch(() => {});
  await refresh();
}

function wire() {
  element('adapt-model').addEventListener('click', adapt);
  element('revert-model').addEventListener('click', revert);
  element('delete-reviewed').addEventListener('click', () => deleteCells(null));
  element('reviewed-rows').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-delete-class]');
    if (button) deleteCells([button.dataset.deleteClass]);
  });
  element('adaptation-list').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-use-adaptation]');
    if (button) useAdaptation(button.dataset.useAdaptation);
  });
  element('export-model').addEventListener('click', () => {
    if (panel.active && panel.exportModel) panel.exportModel(panel.loaded, panel.active).catch((error) => {
      setStatus('error', `Export failed: ${error.message}`);
    });
  });
  const input = element('import-model');
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    importFiles(files);
  });
}

// Once the model is loaded: opens the store, and classifies with the adaptation in use when there is one.
// Resolves to the metadata that names the model the page now uses.
export async function initAdaptation({ loaded, order, onModelChanged, exportModel, importModel }) {
  Object.assign(panel, { loaded, order, onModelChanged, exportModel, importModel, shippedHead: currentHead(loaded.model) });
  element('adaptation').hidden = false;
  wire();
  try {
    panel.store = await ReviewedStore.open();
  } catch (error) {
    panel.store = null;
  }
  let notice = '';
  const active = panel.store ? await panel.store.active().catch(() => null) : null;
  if (active && active.base.version === loaded.metadata.version) {
    await activate(active);
  } else if (active) {
    notice = `Adaptation ${active.id} was made for ${active.base.name} version ${active.base.version}; this page now has `
      + `version ${loaded.metadata.version}, so it classifies with the new model as published. Adapt again to your reviewed cells.`;
  }
  setStatus(panel.active ? 'done' : 'idle', notice || (panel.active ? `Classifying with adaptation ${panel.active.id}.` : ''),
    panel.active ? { before: panel.active.before, after: panel.active.after } : {});
  await refresh();
  return adaptedMetadata(loaded.metadata, panel.active);
}
