// Orchestration: load the model once, then classify each chosen photo in turn, in the browser.
import { ImageReadError, decodeImageFile, toModelInput } from './preprocess.js';
import { classify, loadDefaultModel } from './model.js';
import * as ui from './ui.js';

async function classifyFile(file, { model, metadata }) {
  try {
    const started = performance.now();
    const image = await decodeImageFile(file);
    const input = toModelInput(image, metadata.preprocessing);
    const probabilities = classify(model, input, metadata.preprocessing);
    ui.addResult(file, { classes: metadata.classes, probabilities, milliseconds: performance.now() - started });
  } catch (error) {
    const message = error instanceof ImageReadError ? error.message : `This photo could not be classified: ${error.message}`;
    ui.addError(file, message);
  }
}

async function classifyAll(files, loaded) {
  ui.setStatus('busy', `Classifying ${files.length} photo${files.length === 1 ? '' : 's'}…`);
  for (const file of files) await classifyFile(file, loaded);
  ui.setStatus('ready', 'Ready: choose or drop more smear photos.');
}

async function start() {
  ui.setStatus('loading', 'Loading the model…');
  let loaded;
  try {
    loaded = await loadDefaultModel();
  } catch (error) {
    ui.setStatus('error', error.message);
    return;
  }
  ui.showModel(loaded);
  ui.setStatus('ready', 'Ready: choose or drop smear photos.');
  // Photos picked while others are still being classified wait their turn.
  let queue = Promise.resolve();
  ui.onFiles((files) => {
    if (files.length) queue = queue.then(() => classifyAll(files, loaded));
  });
  ui.onClear(ui.clearResults);
}

start();
