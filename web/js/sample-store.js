// Samples kept in this browser's IndexedDB, so a reload, a crash or going offline loses nothing.
// Nothing here ever leaves the computer. Five stores, each written in small atomic transactions:
//   samples      {key, label, created, opened, target}              one record per sample
//   files        {sample, order, name, type, blob}                   each photo's original file, saved when picked
//   photos       {sample, order, status, width, height, ...}         what the page found in it, saved once
//   cells        {sample, photo, number, box, probabilities, ...}    each found cell and the model's answer, saved once
//   corrections  {sample, photo, number, assigned, excluded}         what a person changed: one small write each
// A file without a photos record was picked but not classified yet (the page was closed): it is
// classified when the sample is opened again. Each photo's file is written in a transaction of its own,
// so one that does not fit (a full quota) costs that photo alone; nothing of a photo whose file was not
// kept is ever written (sample.js), and records left without their file by older versions are
// removed when their sample is opened (removePhotos), so no record outlives its photo.
// When IndexedDB cannot be opened (blocked, private browsing in some browsers), a MemoryStore with the
// same methods keeps the sample for as long as the page is open, and the page says so.

const DB_NAME = 'leukolens-samples';
const DB_VERSION = 1;
const STORES = {
  samples: { keyPath: 'key', autoIncrement: true },
  files: { keyPath: ['sample', 'order'] },
  photos: { keyPath: ['sample', 'order'] },
  cells: { keyPath: ['sample', 'photo', 'number'] },
  corrections: { keyPath: ['sample', 'photo', 'number'] },
};
const PER_SAMPLE = ['files', 'photos', 'cells', 'corrections'];

// .quota: the write did not fit in this origin's storage quota.
class StoreError extends Error {
  constructor(message, quota = false) {
    super(message);
    this.quota = quota;
  }
}

const isQuotaExceeded = (error) => Boolean(error && error.name === 'QuotaExceededError');

// Every record of one sample: compound keys start with the sample's key.
const sampleRange = (key) => IDBKeyRange.bound([key], [key, []]);

function explain(error) {
  if (error && error.name === 'QuotaExceededError') return 'its storage for this page is full';
  return `its storage is blocked or failing (${(error && (error.message || error.name)) || 'no reason given'})`;
}

const requestDone = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

class IdbStore {
  constructor(db) {
    this.db = db;
    this.kept = true;
  }

  // Runs work(stores) in one transaction; resolves with work's result once everything is on disk.
  async transact(names, mode, work) {
    let tx;
    try {
      tx = this.db.transaction(names, mode, { durability: 'strict' });
    } catch (error) {
      throw new StoreError(explain(error), isQuotaExceeded(error));
    }
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(new StoreError(explain(tx.error), isQuotaExceeded(tx.error)));
      tx.onerror = (event) => event.preventDefault();  // the abort that follows reports it
    });
    const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
    let result;
    try {
      result = await work(stores);
    } catch (error) {
      try { tx.abort(); } catch (ignored) { /* already finished */ }
      await done.catch(() => {});
      throw error instanceof StoreError ? error : new StoreError(explain(error), isQuotaExceeded(error));
    }
    await done;
    return result;
  }

  async listSamples() {
    return this.transact(['samples', 'files'], 'readonly', async ({ samples, files }) => {
      const all = await requestDone(samples.getAll());
      return Promise.all(all.map(async (sample) => ({ ...sample, photos: await requestDone(files.count(sampleRange(sample.key))) })));
    });
  }

  async createSample(record) {
    return this.transact(['samples'], 'readwrite', ({ samples }) => requestDone(samples.add(record)));
  }

  async putSample(record) {
    await this.transact(['samples'], 'readwrite', ({ samples }) => requestDone(samples.put(record)));
  }

  async loadSample(key) {
    return this.transact(['samples', ...PER_SAMPLE], 'readonly', async (stores) => {
      const sample = await requestDone(stores.samples.get(key));
      const entries = await Promise.all(PER_SAMPLE.map((name) => requestDone(stores[name].getAll(sampleRange(key)))));
      return { sample, ...Object.fromEntries(PER_SAMPLE.map((name, i) => [name, entries[i]])) };
    });
  }

  async putFile(record) {
    await this.transact(['files'], 'readwrite', ({ files }) => requestDone(files.put(record)));
  }

  // Everything of these photos of one sample: their files, findings, cells and corrections.
  async removePhotos(key, orders) {
    await this.transact(PER_SAMPLE, 'readwrite', (stores) => Promise.all(orders.flatMap((order) => [
      ...['files', 'photos'].map((name) => requestDone(stores[name].delete([key, order]))),
      ...['cells', 'corrections'].map((name) => requestDone(stores[name].delete(IDBKeyRange.bound([key, order], [key, order, []])))),
    ])));
  }

  // A photo's findings and all its cells at once, in place of any it had: a reload never sees half a photo.
  async putResult(photo, cells, file = null) {
    await this.transact(['photos', 'cells', 'files'], 'readwrite', (stores) => Promise.all([
      requestDone(stores.cells.delete(IDBKeyRange.bound([photo.sample, photo.order], [photo.sample, photo.order, []]))),
      requestDone(stores.photos.put(photo)),
      ...cells.map((cell) => requestDone(stores.cells.put(cell))),
      ...(file ? [requestDone(stores.files.put(file))] : []),
    ]));
  }

  async putCorrection(record) {
    await this.transact(['corrections'], 'readwrite', ({ corrections }) => requestDone(corrections.put(record)));
  }

  async clearSample(key) {
    await this.transact(PER_SAMPLE, 'readwrite', (stores) => Promise.all(
      PER_SAMPLE.map((name) => requestDone(stores[name].delete(sampleRange(key)))),
    ));
  }

  async deleteSample(key) {
    await this.transact(['samples', ...PER_SAMPLE], 'readwrite', (stores) => Promise.all([
      requestDone(stores.samples.delete(key)),
      ...PER_SAMPLE.map((name) => requestDone(stores[name].delete(sampleRange(key)))),
    ]));
  }
}

// Keeps samples while the page is open, and nothing after: the fallback when IndexedDB is unusable.
// Same records and keys as IdbStore, in Maps.
class MemoryStore {
  constructor() {
    this.kept = false;
    this.tables = Object.fromEntries(Object.keys(STORES).map((name) => [name, new Map()]));
    this.nextKey = 1;
  }

  put(name, record) {
    const { keyPath } = STORES[name];
    this.tables[name].set(JSON.stringify(keyPath.map((part) => record[part])), record);
  }

  ofSample(name, key) {
    return [...this.tables[name].values()].filter((record) => record.sample === key);
  }

  async listSamples() {
    return [...this.tables.samples.values()].map((sample) => ({ ...sample, photos: this.ofSample('files', sample.key).length }));
  }

  async createSample(record) {
    const key = this.nextKey;
    this.nextKey += 1;
    this.tables.samples.set(key, { ...record, key });
    return key;
  }

  async putSample(record) {
    this.tables.samples.set(record.key, { ...record });
  }

  async loadSample(key) {
    return { sample: this.tables.samples.get(key), ...Object.fromEntries(PER_SAMPLE.map((name) => [name, this.ofSample(name, key)])) };
  }

  async putFile(record) {
    this.put('files', record);
  }

  async removePhotos(key, orders) {
    const gone = new Set(orders);
    for (const name of PER_SAMPLE) {
      for (const [id, record] of this.tables[name]) {
        if (record.sample === key && gone.has(name === 'files' || name === 'photos' ? record.order : record.photo)) {
          this.tables[name].delete(id);
        }
      }
    }
  }

  async putResult(photo, cells, file = null) {
    for (const [id, cell] of this.tables.cells) {
      if (cell.sample === photo.sample && cell.photo === photo.order) this.tables.cells.delete(id);
    }
    this.put('photos', photo);
    for (const cell of cells) this.put('cells', cell);
    if (file) this.put('files', file);
  }

  async putCorrection(record) {
    this.put('corrections', record);
  }

  async clearSample(key) {
    for (const name of PER_SAMPLE) {
      for (const [id, record] of this.tables[name]) if (record.sample === key) this.tables[name].delete(id);
    }
  }

  async deleteSample(key) {
    await this.clearSample(key);
    this.tables.samples.delete(key);
  }
}

function openDatabase() {
  return new Promise((resolve, reject) => {
    let request;
    try {
      request = indexedDB.open(DB_NAME, DB_VERSION);
    } catch (error) {
      reject(error);
      return;
    }
    request.onupgradeneeded = () => {
      for (const [name, options] of Object.entries(STORES)) {
        if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name, options);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('another tab holds an older copy of the sample store open'));
  });
}

export const memoryStore = () => new MemoryStore();

// The sample's ID and target as last typed, written synchronously to localStorage at every keystroke.
// An IndexedDB write takes a round trip and, with strict durability, a flush to disk; one still queued
// when the page reloads or its renderer crashes is lost, localStorage's is not. The draft names the
// sample by its key and creation time (keys are reused after IndexedDB alone is cleared) and is dropped
// once IndexedDB holds the same values. Only for a store that is kept: nothing else outlives the page.
const DRAFT_FIELDS = ['label', 'target'];
const draftName = (record) => `leukolens-sample-draft-${record.key}`;

function sameFields(a, b) {
  return DRAFT_FIELDS.every((field) => a[field] === b[field]);
}

export const drafts = {
  write(record) {
    try {
      localStorage.setItem(draftName(record), JSON.stringify(
        { created: record.created, ...Object.fromEntries(DRAFT_FIELDS.map((field) => [field, record[field]])) }));
    } catch (error) { /* localStorage blocked or full: IndexedDB's own write still follows */ }
  },
  // The typed values for this record, or {} when there are none newer than it.
  read(record) {
    try {
      const draft = JSON.parse(localStorage.getItem(draftName(record)) || 'null');
      if (!draft || draft.created !== record.created) return {};
      return Object.fromEntries(DRAFT_FIELDS.filter((field) => field in draft).map((field) => [field, draft[field]]));
    } catch (error) {
      return {};
    }
  },
  // Dropped once IndexedDB holds what it says; a draft typed since then stays.
  settle(record) {
    try {
      const draft = JSON.parse(localStorage.getItem(draftName(record)) || 'null');
      if (draft && (draft.created !== record.created || sameFields(draft, record))) localStorage.removeItem(draftName(record));
    } catch (error) { /* nothing to drop */ }
  },
};

// Resolves to { store, problem }: an IndexedDB store, or a MemoryStore and why nothing will be kept.
export async function openSampleStore() {
  if (typeof indexedDB === 'undefined') return { store: new MemoryStore(), problem: 'it has no IndexedDB' };
  try {
    const db = await openDatabase();
    return { store: new IdbStore(db), problem: null };
  } catch (error) {
    return { store: new MemoryStore(), problem: explain(error) };
  }
}

// Asks that this origin's storage be persistent: when granted, the browser will not clear kept samples
// to free disk space. Resolves to 'granted', 'not-granted' or 'unsupported' (no StorageManager).
export async function askPersistence() {
  if (!(navigator.storage && navigator.storage.persist)) return 'unsupported';
  try {
    return (await navigator.storage.persisted()) || (await navigator.storage.persist()) ? 'granted' : 'not-granted';
  } catch (error) {
    return 'not-granted';
  }
}

// { usage, quota } in bytes, as navigator.storage.estimate() gives them, or null where it cannot.
export async function storageEstimate() {
  try {
    const { usage, quota } = await navigator.storage.estimate();
    return Number.isFinite(usage) && Number.isFinite(quota) ? { usage, quota } : null;
  } catch (error) {
    return null;
  }
}

export const isQuotaProblem = (error) => Boolean(error && error.quota);
