// A model version's files, each checked before TensorFlow.js sees a byte of it.
// model.json and every weight shard must match the size and SHA-256 that metadata.json records;
// metadata.json itself must belong to the version the model list names, because that version is
// a hash of those very records (content_version() in convert/publish.py, recomputed below).
import { sha256Hex } from './sha256.js';

export class ModelLoadError extends Error {}

const REPUBLISH = 'publish the model again (`make convert` on the server machine)';

// The twin of content_version() in convert/publish.py.
export async function contentVersion(files) {
  const names = Object.keys(files).filter((name) => name === 'model.json' || name.endsWith('.bin')).sort();
  const listing = names.map((name) => `${name}:${files[name].sha256}\n`).join('');
  return (await sha256Hex(new TextEncoder().encode(listing))).slice(0, 12);
}

// Why these bytes are not the file metadata.json describes, or null when they are.
export async function fileProblem(name, bytes, files) {
  const facts = Object.hasOwn(files, name) ? files[name] : null;
  if (!facts || typeof facts.sha256 !== 'string') {
    return `The model file ${name} is not listed in the model's metadata.json, so it cannot be checked; it was not used. `
      + `Please ${REPUBLISH}.`;
  }
  if (bytes.length !== facts.bytes) {
    return `The model file ${name} is incomplete or damaged (${bytes.length.toLocaleString('en')} bytes instead of `
      + `${Number(facts.bytes).toLocaleString('en')}); it was not used. Reload the page to download it again; `
      + `if that does not help, ${REPUBLISH}.`;
  }
  if ((await sha256Hex(bytes)) !== facts.sha256) {
    return `The model file ${name} is damaged (its checksum does not match); it was not used. Reload the page `
      + `to download it again; if that does not help, ${REPUBLISH}.`;
  }
  return null;
}

// Why this metadata cannot describe the version the model list names, or null.
export async function versionProblem(metadata, version) {
  if (!metadata.files || typeof metadata.files !== 'object') {
    return 'The model\'s metadata.json records no checksums, so its files cannot be checked. '
      + `Please ${REPUBLISH}.`;
  }
  const hashed = await contentVersion(metadata.files);
  if (metadata.version !== version || hashed !== version) {
    return `The model's metadata.json does not belong to version ${version} (it describes version `
      + `${hashed}); the model was not used. Please ${REPUBLISH}.`;
  }
  return null;
}

// Reads one version's files from the copy saved in this browser (a Cache, or null) and else from
// the server. Bytes that fail their check are read again from the next source; the last source
// is the server with its HTTP cache bypassed, because an immutable file cached damaged would
// otherwise be handed back unchanged for a year.
export class VersionReader {
  constructor(base, saved) {
    this.base = base;
    this.saved = saved;
    this.fromServer = false;  // true once any file came from the server: the version is worth saving
    this.files = new Map();
  }

  async read(name, problemOf) {
    const sources = [() => this.readSaved(name), () => this.download(name, 'default'), () => this.download(name, 'reload')];
    let problem = null;
    for (const source of sources) {
      const bytes = await source();
      if (bytes === null) continue;
      problem = await problemOf(bytes);
      if (!problem) {
        this.files.set(name, bytes);
        return bytes;
      }
    }
    throw new ModelLoadError(problem);
  }

  async readSaved(name) {
    const response = this.saved && (await this.saved.match(this.base + name));
    return response ? new Uint8Array(await response.arrayBuffer()) : null;
  }

  async download(name, cache) {
    let response;
    try {
      response = await fetch(this.base + name, { cache });
    } catch (error) {
      throw new ModelLoadError(`Could not reach the server for the model file ${name}.`);
    }
    if (!response.ok) {
      throw new ModelLoadError(`The model file ${name} could not be downloaded (HTTP ${response.status}). `
        + `Please ${REPUBLISH}.`);
    }
    this.fromServer = true;
    return new Uint8Array(await response.arrayBuffer());
  }
}

export function parseJson(bytes) {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return undefined;
  }
}

// model.json and its shards, checked, as the artifacts tf.io.fromMemory() takes.
export async function readModelArtifacts(reader, metadata) {
  const check = (name) => (bytes) => fileProblem(name, bytes, metadata.files);
  const modelJson = parseJson(await reader.read(metadata.model.file, check(metadata.model.file)));
  const groups = modelJson && modelJson.weightsManifest;
  if (!modelJson || !modelJson.modelTopology || !Array.isArray(groups)) {
    throw new ModelLoadError(`The model file ${metadata.model.file} has no model or weight list. Please ${REPUBLISH}.`);
  }
  const shards = [];
  for (const name of groups.flatMap((group) => group.paths)) shards.push(await reader.read(name, check(name)));
  const weightData = new Uint8Array(shards.reduce((total, shard) => total + shard.length, 0));
  shards.reduce((offset, shard) => { weightData.set(shard, offset); return offset + shard.length; }, 0);
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs: groups.flatMap((group) => group.weights),
    weightData: weightData.buffer,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
  };
}

// The replay set published beside the model (convert/replay.py), checked like every model file:
// { bytes, labels, count, features } or { problem } when it is missing or damaged. It only serves
// adapting the model, so a problem with it never stops the page from classifying.
export async function readReplay(reader, metadata) {
  const replay = metadata.replay;
  if (!replay || typeof replay.file !== 'string') return { problem: 'this model was published without a replay set of its training labs\' cells' };
  try {
    const bytes = await reader.read(replay.file, (data) => fileProblem(replay.file, data, metadata.files));
    return { bytes, labels: replay.labels, count: replay.count, features: replay.features };
  } catch (error) {
    return { problem: error.message };
  }
}
