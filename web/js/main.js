// Orchestration: load the model once, then classify each chosen photo in turn, in the browser.
import { ImageReadError, decodeImageFile, toModelInput } from './preprocess.js';
import { classify, loadDefaultModel } from './model.js';
import { startOfflineUse } from './offline.js';
import * as ui from './ui.js';

async function classifyFile(file, { model, metadata }) {
  try {
    const started = performance.now();
    const image = await decodeImageFile(file, metadata.preprocessing);
    const input = toModelInput(image, metadata.preprocessing);
    const probabilities = classify(model, input, metadata.preprocessing);
    ui.addResult(file, { classes: metadata.classes, probabilities, milliseconds: performance.now() - started });
  } catch (error) {
    const message = error instanceof ImageReadError ? error.message : `This photo could not be classified: ${error.message}`;
    ui.addError(file, message);
  }
}

async function classifyAll(files, loaded) {
  for (const [i, file] of files.entries()) {
    ui.setStatus('busy', `Classifying photo ${i + 1} of ${files.length}: ${file.name}`);
    await classifyFile(file, loaded);
    ui.updateSummary(loaded.metadata.classes);
  }
  ui.setStatus('ready', 'Ready: choose or drop more smear photos.');
}

// Offline use needs both halves: the page shell (service worker) and the model (saved in this browser).
async function reportOfflineUse(offline, ready) {
  const [page, loaded] = await Promise.all([offline, ready]);
  if (page.state !== 'ready') {
    ui.showOfflineUse('unavailable', `Not available: ${page.why}.`);
  } else if (!loaded) {
    ui.showOfflineUse('unavailable', 'Not available: no model has loaded.');
  } else if (!(await loaded.saved)) {
    ui.showOfflineUse('unavailable', 'Not available: this browser could not save the model (storage full or blocked).');
  } else {
    ui.showOfflineUse('ready', 'Ready: this page and its model now work without a network.');
  }
}

function start() {
  ui.showAcceptedFormats();
  ui.setModelState('loading');
  ui.setStatus('loading', 'Loading the model…');
  const offline = startOfflineUse();
  const ready = loadDefaultModel().then((loaded) => {
    ui.showModel(loaded);
    ui.showNotice(loaded.notice);
    ui.setStatus('ready', 'Ready: choose or drop smear photos.');
    ui.setModelState('ready', loaded.backend);
    return loaded;
  }, (error) => {
    ui.setStatus('error', error.message);
    ui.setModelState('error');
    ui.disableFiles();
    return null;
  });
  // Photos picked while the model loads, or while others are classified, wait their turn.
  let queue = ready;
  ui.onFiles((files) => {
    if (!files.length) return;
    queue = queue.then(async () => {
      const loaded = await ready;
      if (loaded) {
        await classifyAll(files, loaded);
      } else {
        for (const file of files) ui.addError(file, 'Not classified: the model could not be loaded (see the message above).');
        ui.updateSummary([]);
      }
    });
  });
  ui.onClear(async () => {
    ui.clearResults();
    const loaded = await ready;
    ui.updateSummary(loaded ? loaded.metadata.classes : []);
  });
  reportOfflineUse(offline, ready);
}

start();
