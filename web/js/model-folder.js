// An adapted model as a model folder (model.json, weight shards, replay set, metadata.json recording the
// adaptation), the layout convert publishes: exported as one .zip that `make use FOLDER=...` publishes
// for every laptop of the clinic (convert/imported.py) and that another browser imports here.
import { metadataProblem } from './model.js';
import { contentVersion, fileProblem, parseJson, versionProblem } from './model-files.js';
import { sha256Hex } from './sha256.js';
import { OUTPUT_LAYER, summary } from './adapt.js';
import { readZip, writeZip } from './zip.js';

const BYTES = { float32: 4, int32: 4, float16: 2, uint16: 2, uint8: 1, bool: 1 };
const isHead = (spec) => spec.name.startsWith(`${OUTPUT_LAYER}/`);
const SHARDS = ['group1-shard1of1.bin', 'group2-shard1of1.bin'];

class ModelFolderError extends Error {}

function specBytes(spec) {
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  return spec.shape.reduce((n, side) => n * side, 1) * BYTES[dtype];
}

// The shipped weights exactly as published, but for the output layer, which is written as float32.
function adaptedWeights(artifacts, head) {
  const source = new Uint8Array(artifacts.weightData);
  const kept = [];
  const keptSpecs = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    const size = specBytes(spec);
    if (!isHead(spec)) {
      kept.push(source.subarray(offset, offset + size));
      keptSpecs.push(spec);
    }
    offset += size;
  }
  const headSpecs = artifacts.weightSpecs.filter(isHead).map(({ name, shape }) => ({ name, shape, dtype: 'float32' }));
  const headValues = headSpecs.map((spec) => (spec.name.endsWith('/kernel') ? head.kernel : head.bias));
  const body = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  kept.reduce((at, part) => { body.set(part, at); return at + part.length; }, 0);
  const headBytes = new Uint8Array(headValues.reduce((n, values) => n + values.length * 4, 0));
  headValues.reduce((at, values) => { headBytes.set(new Uint8Array(Float32Array.from(values).buffer), at); return at + values.length * 4; }, 0);
  return { body, keptSpecs, headBytes, headSpecs };
}

async function facts(bytes) {
  return { sha256: await sha256Hex(bytes), bytes: bytes.length };
}

// name -> bytes of the adapted model's folder, and the folder's name.
export async function adaptedFolder(loaded, adaptation) {
  const shipped = loaded.metadata;
  const { body, keptSpecs, headBytes, headSpecs } = adaptedWeights(loaded.artifacts, adaptation.head);
  const modelJson = {
    format: loaded.artifacts.format,
    generatedBy: loaded.artifacts.generatedBy,
    convertedBy: `Leukolens page, adaptation ${adaptation.id}`,
    modelTopology: loaded.artifacts.modelTopology,
    weightsManifest: [{ paths: [SHARDS[0]], weights: keptSpecs }, { paths: [SHARDS[1]], weights: headSpecs }],
  };
  const files = new Map([['model.json', new TextEncoder().encode(JSON.stringify(modelJson))], [SHARDS[0], body], [SHARDS[1], headBytes]]);
  if (loaded.replay && loaded.replay.bytes) files.set(shipped.replay.file, loaded.replay.bytes);  // same network below the head
  const listed = {};
  for (const [name, bytes] of files) listed[name] = await facts(bytes);
  const name = `${shipped.name}-adapted-${adaptation.id}`;
  const { metrics, ...rest } = shipped;
  const metadata = {
    ...rest,
    name,
    version: await contentVersion(listed),
    model: { ...shipped.model, quantization: `${shipped.model.quantization || 'none'}; output layer float32` },
    // The shipped model's figures describe the shipped output layer; the adaptation's own figures are below.
    metrics: {},
    shipped_metrics: metrics,
    adaptation: summary(adaptation),
    files: listed,
    created: new Date().toISOString(),
  };
  files.set('metadata.json', new TextEncoder().encode(JSON.stringify(metadata, null, 2)));
  return { name, files };
}

export async function exportAdapted(loaded, adaptation) {
  const { name, files } = await adaptedFolder(loaded, adaptation);
  const blob = writeZip(name, files);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${name}.zip`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// The chosen files: one .zip of a model folder, or the folder's files chosen together.
async function chosenFiles(files) {
  if (files.length === 1 && /\.zip$/i.test(files[0].name)) {
    try {
      return await readZip(new Uint8Array(await files[0].arrayBuffer()));
    } catch (error) {
      throw new ModelFolderError(`${files[0].name} is not a readable .zip (${error.message}).`);
    }
  }
  return new Map(await Promise.all(files.map(async (file) => [file.name, new Uint8Array(await file.arrayBuffer())])));
}

const NOT_A_FOLDER = 'choose the .zip that "Export adapted model" wrote (or the metadata.json, model.json and .bin files of its folder together)';

// Checks an exported adapted model against the model this page has; returns its adaptation record.
export async function importAdapted(files, loaded) {
  const found = await chosenFiles(files);
  if (!found.has('metadata.json')) throw new ModelFolderError(`there is no metadata.json among these files: ${NOT_A_FOLDER}.`);
  const metadata = parseJson(found.get('metadata.json'));
  const problem = metadata === undefined ? 'it is not valid JSON' : metadataProblem(metadata);
  if (problem) throw new ModelFolderError(`its metadata.json is not a model's (${problem}): ${NOT_A_FOLDER}.`);
  if (!metadata.adaptation || !metadata.adaptation.base) {
    throw new ModelFolderError(`${metadata.name} is not an adapted model (its metadata.json records no adaptation); `
      + 'a model published with convert is made the default with `make use`, not imported here.');
  }
  const base = metadata.adaptation.base;
  if (base.name !== loaded.metadata.name || base.version !== loaded.metadata.version) {
    throw new ModelFolderError(`it adapts ${base.name} version ${base.version}, and this page has ${loaded.metadata.name} `
      + `version ${loaded.metadata.version}: adapt again here, or publish it with make use.`);
  }
  const versionIssue = await versionProblem(metadata, metadata.version);
  if (versionIssue) throw new ModelFolderError(versionIssue);
  for (const name of Object.keys(metadata.files).filter((n) => n === 'model.json' || n.endsWith('.bin'))) {
    if (!found.has(name)) throw new ModelFolderError(`the file ${name} is missing: ${NOT_A_FOLDER}.`);
    if (await fileProblem(name, found.get(name), metadata.files)) {
      throw new ModelFolderError(`its file ${name} does not match its metadata.json (damaged or altered since it was `
        + 'exported): export the adapted model again.');
    }
  }
  const modelJson = parseJson(found.get('model.json'));
  if (JSON.stringify(modelJson.modelTopology) !== JSON.stringify(loaded.artifacts.modelTopology)) {
    throw new ModelFolderError('its network is not the one this page has, so its output layer cannot be used here.');
  }
  return { ...recordFrom(metadata.adaptation, headOf(modelJson, found), loaded.metadata), source: files.map((f) => f.name).join(', ') };
}

function headOf(modelJson, found) {
  for (const group of modelJson.weightsManifest) {
    if (!group.weights.some(isHead)) continue;
    if (group.weights.some((spec) => !isHead(spec)) || group.paths.length !== 1) break;
    const named = tf.io.decodeWeights(found.get(group.paths[0]).slice().buffer, group.weights);
    const head = { kernel: named[`${OUTPUT_LAYER}/kernel`].dataSync().slice(), bias: named[`${OUTPUT_LAYER}/bias`].dataSync().slice() };
    Object.values(named).forEach((tensor) => tensor.dispose());
    return head;
  }
  throw new ModelFolderError('its output layer is not stored as "Export adapted model" stores it.');
}

function recordFrom(adaptation, head, metadata) {
  return {
    id: adaptation.id, base: adaptation.base, head, classes: metadata.classes, cells: adaptation.cells,
    perClass: adaptation.per_class, before: adaptation.before, after: adaptation.after, heldOut: adaptation.held_out,
    created: adaptation.created, adopted: true,
  };
}
