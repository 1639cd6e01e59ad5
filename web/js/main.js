// Orchestration: load the model and open the sample at once; classify each picked photo in turn (every
// white cell in it), keep everything in the sample, and let a person check, correct and count.
import { ImageReadError } from './preprocess.js';
import { analyseAddedCell, analysePhoto, nextTask } from './analyse.js';
import { loadDefaultModel } from './model.js';
import { startOfflineUse } from './offline.js';
import {
  cellTypes, differential, finalClass, nextToReview, reviewProgress, reviewRule,
} from './differential.js';
import { csvFileName, isoLocal, sampleCsv, signature } from './export.js';
import { askPersistence, isQuotaProblem, memoryStore, openSampleStore, storageEstimate } from './sample-store.js';
import { Sample } from './sample.js';
import * as ui from './ui.js';
import * as photosView from './ui-photos.js';
import * as inspector from './ui-inspector.js';
import { showDifferential, showFamiliarity, showSignState } from './ui-differential.js';
import { familiarityReference, familiarityText, sampleFamiliarity } from './familiarity.js';
import * as samplesView from './ui-samples.js';
import { setClassOrder } from './ui-parts.js';
import * as adaptView from './ui-adapt.js';
import { cellKey } from './reviewed-store.js';
import { exportAdapted, importAdapted } from './model-folder.js';
import * as colourPool from './colour-pool.js';
import * as poolView from './ui-colour-pool.js';

const page = {
  loaded: null,     // { model, metadata, backend } once the model is ready
  modelError: null, // why no model could be loaded
  store: null,
  sample: null,
  types: cellTypes(null),
  rule: null,       // review thresholds of the loaded model, or null
  selected: null,   // { photo, number } of the selected cell
  run: null,        // { done, total, cells, name } while photos are being classified
  shown: false,     // the kept sample is on the page: only then is the page "ready"
  queue: null,      // photos are classified one after another, in the order picked
  notKept: [],      // photos of this sample whose files the browser's storage refused
  writeProblem: '', // why the last other write failed
  reviewNote: false, // the sign-off was refused for cells awaiting review: the note follows the review
};

// ------------------------------------------------------------------ keeping the sample

function storageProblem(reason) {
  ui.showStorageProblem(`This browser cannot keep the sample: ${reason}. What is on this page is lost when `
    + 'the page is closed or reloaded; export the CSV to keep it.');
}

const megabytes = (bytes) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

// What was refused, and only that: the photos not kept (by name and size), why, and how full the
// storage is by navigator.storage.estimate(); everything else of the sample is kept.
function writeProblemText(reason, estimate) {
  const why = estimate ? `${reason} (${megabytes(estimate.usage)} of ${megabytes(estimate.quota)} used)` : reason;
  const lines = [];
  if (page.notKept.length) {
    const names = page.notKept.map((photo) => `"${photo.name}" (${megabytes(photo.blob ? photo.blob.size : 0)})`).join(', ');
    const one = page.notKept.length === 1;
    lines.push(`Not kept in this browser: ${names}, because ${why}. ${one ? 'This photo stays' : 'These photos stay'} `
      + 'on this page, with its cells and corrections, until the page is closed or reloaded or another sample is '
      + 'opened: export the CSV to keep the results. Every other photo of the sample is kept.');
  }
  if (page.writeProblem) {
    lines.push(`A change could not be kept in this browser, because ${page.writeProblem}. It shows on this page until `
      + 'the page is closed or reloaded; what was kept before is safe.');
  }
  return lines.join(' ');
}

async function onWriteProblem(error, photo) {
  if (photo) page.notKept.push(photo);
  else page.writeProblem = error.message;
  const estimate = isQuotaProblem(error) ? await storageEstimate() : null;
  ui.showStorageProblem(writeProblemText(error.message, estimate));
}

// A sample shown anew: what was not kept of the one before is no longer on the page either.
function forgetWriteProblems() {
  if (!page.notKept.length && !page.writeProblem) return;
  page.notKept = [];
  page.writeProblem = '';
  ui.showStorageProblem('');
}

// A new sample; kept in memory only when the browser's storage refuses even that.
async function createSample(target) {
  try {
    return await Sample.create(page.store, onWriteProblem, { target });
  } catch (error) {
    storageProblem(error.message);
    page.store = memoryStore();
    return Sample.create(page.store, onWriteProblem, { target });
  }
}

// The most recently opened sample, or a new one. The page must work whatever the browser's storage does.
async function openSample() {
  const { store, problem } = await openSampleStore();
  page.store = store;
  if (problem) storageProblem(problem);
  try {
    const latest = (await store.listSamples()).sort((a, b) => (a.opened < b.opened ? 1 : -1))[0];
    page.sample = latest ? await Sample.load(store, latest.key, onWriteProblem) : null;
  } catch (error) {
    storageProblem(error.message);
  }
  page.sample = page.sample || (await createSample());
}

async function refreshSampleList() {
  try {
    samplesView.showSampleList(await page.store.listSamples(), page.sample.key);
  } catch (error) {
    storageProblem(error.message);
  }
  samplesView.setSamplesBusy(Boolean(page.run));
}

// An empty sample with no ID is not worth keeping once the person moves on.
async function leaveSample() {
  if (page.sample.isBlank()) await page.sample.keep(() => page.store.deleteSample(page.sample.key));
}

// ------------------------------------------------------------------ showing it

function applyCellTypes() {
  page.types = cellTypes(page.loaded ? page.loaded.metadata : null, page.sample.classesSeen());
  setClassOrder(page.types.order);
  inspector.setClasses(page.types.order);
  photosView.showLegend(page.types);
}

function photoFacts() {
  const done = page.sample.photos.filter((photo) => photo.status !== 'pending');
  const having = (status) => done.filter((photo) => photo.status === status).length;
  return { total: done.length, cells: page.sample.cells().length, unreadable: having('error'),
    notSmear: having('not-smear'), noCells: having('no-cells') };
}

const sampleCounts = () => differential(page.sample.cells(), page.types, { wbc: page.sample.record.wbc ?? null });
const sampleFamiliarityNow = () => sampleFamiliarity(page.sample.cells(), page.loaded ? page.loaded.reference?.spec : null);

function refreshCounts() {
  const counts = sampleCounts();
  const photos = photoFacts();
  const { signed } = page.sample;
  showDifferential(counts, { target: page.sample.record.target, photos, reviewAvailable: Boolean(page.rule) });
  showFamiliarity(sampleFamiliarityNow(), page.loaded ? page.loaded.metadata.adaptation || null : null);
  showSignState(signature(signed), Boolean(signed));
  ui.showReportFacts({ label: page.sample.record.label, date: isoLocal(new Date()), photos: photos.total,
    models: page.sample.modelsUsed(), wbc: counts.wbc, signature: signature(signed) });
  ui.setActions({ hasPhotos: photos.total > 0, busy: Boolean(page.run), signed: Boolean(signed) });
  inspector.setReadOnly(Boolean(signed));
  inspector.showReviewProgress(reviewProgress(page.sample.cells()), Boolean(page.rule));
  poolView.showPool({ on: page.sample.record.pooledColour, signed, text: colourPool.balanceText(page.sample) });
  if (page.reviewNote) showReviewNote(counts.awaitingReview);
  return counts;
}

function refreshStatus() {
  if (page.run) {
    ui.setStatus('busy', `Classifying photo ${Math.min(page.run.done + 1, page.run.total)} of ${page.run.total}: ${page.run.name}`);
  } else if (page.modelError) {
    ui.setStatus('error', page.modelError);
  } else if (page.loaded && page.shown) {
    ui.setStatus('ready', page.sample.signed ? 'Signed off: this sample is read-only. Reopen it to change it or add '
      + 'photos, or start a new sample.' : 'Ready: choose or drop smear photos.');
  }
  ui.showProgress(page.run);
  samplesView.setSamplesBusy(Boolean(page.run));
}

function showWholeSample() {
  page.shown = true;
  applyCellTypes();
  samplesView.showSample(page.sample.record);
  photosView.clearPhotos();
  showSignNote('');
  for (const photo of page.sample.photos) if (photo.status !== 'pending') photosView.showPhoto(photo, page.types);
  select(null);
  refreshCounts();
  refreshSampleList();
  refreshStatus();
}

// ------------------------------------------------------------------ classifying photos

const failureMessage = (error) => (error instanceof ImageReadError ? error.message
  : `This photo could not be classified: ${error.message}`);

// A photo with a reviewed cell is never analysed again: not even when that review came while it was analysed.
async function classifyPhoto(photo, options = {}) {
  if (colourPool.isReviewed(photo)) return;
  let result;
  try {
    const pooled = await colourPool.pooledPoint(page.sample, page.loaded.metadata.preprocessing);
    result = await analysePhoto(photo.blob, page.loaded, { lookAnyway: Boolean(photo.lookedAnyway), ...options, pooled });
  } catch (error) {
    result = { status: 'error', error: failureMessage(error) };
  }
  if (colourPool.isReviewed(photo)) return;
  await page.sample.recordResult(photo, result);
  photosView.showPhoto(photo, page.types);
}

// The person overrides the smear check for one photo: its cells are found and classified, and the choice
// is kept with the photo (the CSV and the card say so).
async function lookAnyway(order) {
  const photo = page.sample.photos.find((candidate) => candidate.order === order);
  if (!photo || !page.loaded || photo.status !== 'not-smear' || page.sample.signed) return;
  page.queue = page.queue.then(async () => {
    await classifyPhoto(photo, { lookAnyway: true });
    refreshCounts();
  });
}

// A person points at a white cell the finder gave no box: after whatever is queued, it is classified as
// the photo's cells were, counted, kept with the sample, and selected for them to confirm or correct.
function addCell(order, point) {
  const photo = page.sample.photo(order);
  if (!photo || !page.loaded) return;
  if (page.sample.signed) {
    showSignNote('This sample is signed off: reopen it (with a reason) to add a cell.', true);
    return;
  }
  page.queue = page.queue.then(async () => {
    let cell;
    try {
      cell = await analyseAddedCell(photo.blob, page.loaded, point, {
        whitePoint: photo.colour ? photo.colour.used : null,
        number: photo.cells.reduce((last, other) => Math.max(last, other.number), 0) + 1,
        sides: photo.cells.filter((other) => other.square).map((other) => other.square[2]),
      });
    } catch (error) {
      showSignNote(`The cell could not be added: ${error.message}`, true);
      return;
    }
    const written = page.sample.addCell(photo, cell);
    photosView.showAddedCell(photo, photo.cells[photo.cells.length - 1], page.types);
    refreshCounts();
    select({ photo: order, number: cell.number });
    await written;
  });
}

async function classifyPhotos(photos) {
  for (const photo of photos) {
    page.run.name = photo.name;
    refreshStatus();
    if (page.loaded) {
      await classifyPhoto(photo);
    } else {
      // Kept in the sample unclassified: it is classified when the page next loads a model.
      const error = 'Not classified: the model could not be loaded (see the message above).';
      photosView.showPhoto({ ...photo, status: 'error', error }, page.types);
    }
    page.run.done += 1;
    page.run.cells += photo.cells.length;
    ui.showProgress(page.run);
    refreshCounts();
    await nextTask();  // clicks and keys are handled between photos, however many are queued
  }
  if (page.run.done >= page.run.total) {
    page.run = null;
    refreshStatus();
    refreshCounts();
    rebalanceColour();
  }
}

function schedule(photos) {
  if (!photos.length) return;
  page.run = page.run || { done: 0, total: 0, cells: 0, name: '' };
  page.run.total += photos.length;
  refreshStatus();
  refreshCounts();
  page.queue = page.queue.then(() => classifyPhotos(photos)).catch((error) => {
    page.run = null;
    page.modelError = `Something went wrong while classifying: ${error.message}. Reload the page; the sample is kept.`;
    refreshStatus();
  });
}

// One microscope (colour-pool.js): the photos balanced by another white point than the sample's now is are
// analysed again, after whatever is queued; a photo with reviewed cells is kept as it is, and its card says so.
function rebalanceColour() {
  if (!page.loaded) return;
  page.queue = page.queue.then(async () => {
    const { analyse, changed } = await colourPool.plan(page.sample, page.loaded.metadata.preprocessing);
    for (const photo of changed) photosView.showPhoto(photo, page.types);
    refreshCounts();
    if (!page.sample.signed) schedule(analyse);
  });
}

async function setPooledColour(on) {
  if (!page.shown || page.sample.signed) return;
  const written = page.sample.setPooledColour(on);
  rebalanceColour();
  await written;
}

// ------------------------------------------------------------------ checking and correcting cells

function select(ref) {
  const cell = ref && page.sample.cell(ref.photo, ref.number);
  const moved = !page.selected || !ref || page.selected.photo !== ref.photo || page.selected.number !== ref.number;
  page.selected = cell ? ref : null;
  const box = photosView.markSelected(page.selected);
  if (!cell) {
    inspector.showNoCell();
    return;
  }
  inspector.showCell(page.sample.photo(ref.photo), cell, photosView.photoPicture(ref.photo));
  if (!moved) return;
  inspector.revealInspector();
  photosView.revealBox(box);
}

// The next cell awaiting review, most doubtful first: selected, its box focused, its controls in view.
function selectNextToReview() {
  const current = page.selected && page.sample.cell(page.selected.photo, page.selected.number);
  const next = nextToReview(page.sample.photos, current);
  if (!next) return;
  const ref = { photo: next.photo, number: next.number };
  select(ref);
  photosView.focusCell(ref);
}

// Memory and screen change at once; the write (one small transaction) follows. A signed sample is read-only.
async function correct(change) {
  if (!page.selected) return;
  if (page.sample.signed) {
    showSignNote('This sample is signed off: reopen it (with a reason) to change a cell.', true);
    return;
  }
  const photo = page.sample.photo(page.selected.photo);
  const cell = page.sample.cell(page.selected.photo, page.selected.number);
  const written = change(cell);
  photosView.updateCell(photo, cell, page.types);
  inspector.showCell(photo, cell, photosView.photoPicture(photo.order));
  refreshCounts();
  await written;
}

// A corrected or confirmed cell is also an example of this microscope for adapting the model (ui-adapt.js).
function keepReviewed(cell) {
  const key = { sample: page.sample.key, photo: cell.photo, number: cell.number };
  if (cell.excluded) adaptView.cellExcluded(cellKey(key.sample, key.photo, key.number));
  else adaptView.cellReviewed({ ...key, input: cell.input, className: finalClass(cell) });
}

const assign = (className) => correct((cell) => page.sample.assign(cell, className).then(() => keepReviewed(cell)));
const confirmCell = () => correct((cell) => page.sample.confirm(cell).then(() => keepReviewed(cell)));
const toggleExcluded = () => correct((cell) => page.sample.setExcluded(cell, !cell.excluded).then(() => keepReviewed(cell)));

// ------------------------------------------------------------------ signing off

function showSignNote(text, refused = false) {
  page.reviewNote = false;
  ui.showSignNote(text, refused);
}

// Why the sample cannot be signed yet, kept true as cells are reviewed (or counted again, awaiting review
// once more) until another note replaces it: once none awaits review it says the sample can be signed.
function showReviewNote(awaiting) {
  page.reviewNote = true;
  if (!awaiting) {
    ui.showSignNote('Every flagged cell is reviewed: the sample can be signed off now.');
    return;
  }
  ui.showSignNote(`Not signed: ${awaiting === 1 ? '1 cell awaits' : `${awaiting} cells await`} review: N goes to the next one.`,
    true);
}

// Refused while any cell awaits review (as analysers refuse), and said why; a signed sample is reopened
// with a reason, kept in the sample.
async function signOff() {
  if (page.run) return;
  const { signed } = page.sample;
  if (signed) {
    const answer = await ui.askSignature({ title: 'Reopen this sample', okLabel: 'Reopen',
      text: `It was ${signature(signed)}. Reopening makes it a draft again; your reason is kept with the sample.`,
      withReason: true });
    if (!answer) return;
    const written = page.sample.reopen(answer.initials, answer.reason);  // memory at once, the write follows
    showSignNote(`Reopened by ${answer.initials}: a draft again.`);
    refreshCounts();
    refreshStatus();
    await written;
    return;
  }
  const counts = sampleCounts();
  if (counts.awaitingReview > 0) {
    showReviewNote(counts.awaitingReview);
    return;
  }
  const answer = await ui.askSignature({ title: 'Sign off this sample', okLabel: 'Sign off',
    text: `${counts.whiteTotal} white cells counted. Once signed, the sample is read-only until it is reopened.`,
    withReason: false });
  if (!answer) return;
  const written = page.sample.sign(answer.initials, page.sample.modelsUsed());
  showSignNote(`Signed off by ${answer.initials}.`);
  refreshCounts();
  refreshStatus();
  await written;
}

// ------------------------------------------------------------------ samples: new, open, delete, clear

async function newSample() {
  if (page.run) return;
  if (page.sample.isBlank()) {  // already a new sample: nothing to keep, nothing to ask
    samplesView.focusSampleId();
    return;
  }
  const { whiteTotal } = differential(page.sample.cells(), page.types);
  const name = samplesView.sampleName(page.sample.record);
  if (!(await ui.confirmAction(`Start a new sample? "${name}" (${whiteTotal} white cells counted) stays in the list `
    + 'of earlier samples and can be opened again.', 'Start a new sample'))) return;
  forgetWriteProblems();
  page.sample = await createSample(page.sample.record.target);
  showWholeSample();
  samplesView.focusSampleId();
}

async function openEarlierSample(key) {
  if (page.run) return;
  let opened = null;
  try {
    opened = await Sample.load(page.store, key, onWriteProblem);
  } catch (error) {
    storageProblem(error.message);
  }
  if (!opened) return;
  await leaveSample();
  forgetWriteProblems();
  page.sample = opened;
  showWholeSample();
  samplesView.focusSampleId();
  schedule(page.sample.pending());
  rebalanceColour();
}

async function deleteSample(key) {
  if (page.run) return;
  if (!(await ui.confirmAction('Delete this earlier sample, its photos and its counts from this browser? '
    + 'This cannot be undone.', 'Delete the sample'))) return;
  await page.sample.keep(() => page.store.deleteSample(key));
  refreshSampleList();
}

async function clearSample() {
  if (page.run) return;
  const photos = photoFacts().total;
  if (!(await ui.confirmAction(`Remove all ${photos === 1 ? 'photo' : `${photos} photos`} and their cells from this `
    + 'sample? Its count starts again from zero. This cannot be undone.', 'Remove them'))) return;
  await page.sample.clear();
  showWholeSample();
}

// ------------------------------------------------------------------ export and print

function exportCsv() {
  const date = new Date();
  const counts = sampleCounts();
  const photos = page.sample.photos.filter((photo) => photo.status !== 'pending');
  const { record } = page.sample;
  const text = sampleCsv(photos, counts, { label: record.label, exported: isoLocal(date), models: page.sample.modelsUsed(),
    target: record.target, wbc: counts.wbc, signed: record.signed || null, reopened: record.reopened || [],
    colour: colourPool.balanceText(page.sample), familiarity: familiarityText(sampleFamiliarityNow()) });
  // The byte-order mark tells spreadsheet programs the file is UTF-8 (file names may have accents).
  ui.download(new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' }), csvFileName(page.sample.record.label, date));
}

// ------------------------------------------------------------------ start

// Offline use needs both halves: the page shell (service worker) and the model (saved in this browser).
async function reportOfflineUse(offline, ready) {
  const [shell, loaded] = await Promise.all([offline, ready]);
  if (shell.state !== 'ready') {
    ui.showOfflineUse('unavailable', `Not available: ${shell.why}.`);
  } else if (!loaded) {
    ui.showOfflineUse('unavailable', 'Not available: no model has loaded.');
  } else if (!(await loaded.saved)) {
    ui.showOfflineUse('unavailable', 'Not available: this browser could not save the model (storage full or blocked).');
  } else {
    ui.showOfflineUse('ready', 'Ready: this page and its model now work without a network.');
  }
}

// The adapted model is the loaded model with another output layer: the page names it wherever it names the model.
function useModel(metadata) {
  page.loaded = { ...page.loaded, metadata };
  ui.showModel(page.loaded);
  if (page.shown) refreshCounts();
}

// Adapting is extra: whatever goes wrong there, the page classifies with the shipped model.
async function startAdaptation(loaded) {
  try {
    useModel(await adaptView.initAdaptation({ loaded: { ...loaded }, order: cellTypes(loaded.metadata).order,
      onModelChanged: useModel, exportModel: exportAdapted, importModel: importAdapted }));
  } catch (error) {
    ui.showNotice(`Adapting to this microscope is not available here: ${error.message}`);
  }
  return page.loaded;
}

function loadModel() {
  return loadDefaultModel().then((loaded) => {
    page.loaded = { ...loaded, reference: familiarityReference(loaded.metadata, loaded.replay) };
    page.rule = reviewRule(loaded.metadata);
    ui.showModel(loaded);
    ui.showNotice(loaded.notice);
    ui.setModelState('ready', loaded.backend);
    refreshStatus();
    return startAdaptation(loaded);
  }, (error) => {
    page.modelError = error.message;
    ui.setStatus('error', error.message);
    ui.setModelState('error');
    ui.disableFiles();
    return null;
  });
}

function wireControls(started) {
  ui.initConfirm();
  ui.initSignDialog();
  ui.onSignOff(signOff);
  ui.onFiles(async (files) => {
    if (!files.length) return;
    await started;
    if (page.sample.signed) {
      showSignNote('This sample is signed off: reopen it to add photos, or start a new sample.', true);
      return;
    }
    schedule(page.sample.addFiles(files));
  });
  ui.onClear(clearSample);
  ui.onExport(exportCsv);
  ui.onPrint(refreshCounts);
  photosView.initPhotos({ onSelect: select, onLookAnyway: lookAnyway, onAddCell: addCell });
  poolView.initPoolOption(setPooledColour);
  inspector.initInspector({ onAssign: assign, onExclude: toggleExcluded, onConfirm: confirmCell, onNext: selectNextToReview,
    onZoom: photosView.zoomSelected });
  samplesView.initSamples({
    // Before the kept sample is shown there is nothing to name: showing it fills both fields.
    onLabel: (label) => { if (page.shown) { page.sample.setLabel(label); refreshCounts(); } },
    onTarget: (target) => { if (page.shown) { page.sample.setTarget(target); refreshCounts(); } },
    onWbc: (wbc) => { if (page.shown) { page.sample.setWbc(wbc); refreshCounts(); } },
    onNew: newSample,
    onOpen: openEarlierSample,
    onDelete: deleteSample,
  });
}

function start() {
  ui.showAcceptedFormats();
  ui.setModelState('loading');
  ui.setStatus('loading', 'Loading the model…');
  const offline = startOfflineUse();
  const ready = loadModel();
  // The kept sample is shown once the model is known (its classes order the count). Photos a closed
  // page left unclassified are classified first; photos picked while the model loads wait their turn.
  const started = Promise.all([ready, openSample()]).then(() => {
    showWholeSample();
    schedule(page.sample.pending());
    rebalanceColour();
    if (page.store.kept) askPersistence().then(ui.showPersistence);
    else ui.showPersistence('not-kept');
  });
  page.queue = started;
  wireControls(started);
  reportOfflineUse(offline, ready);
}

start();
