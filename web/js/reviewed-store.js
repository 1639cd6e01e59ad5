// The cells a person reviewed (corrected, or explicitly confirmed) and the adaptations made from them,
// kept in this browser's IndexedDB across samples: each reviewed cell is a labelled example of this
// clinic's microscope. A database of its own, apart from the samples' (sample-store.js), so that
// deleting a sample does not delete what the model learnt from it, and the other way round.
//   cells        {key: "sample photo number", sample, photo, number, input {width, height, rgb}, className, reviewed}
//   adaptations  {id, base {name, version}, head {kernel, bias}, classes, cells, perClass, before, after, heldOut, created, source}
//   state        {key: 'active', id}: the adaptation the page classifies with (none: the shipped model)
// Nothing here leaves the computer unless the person exports an adapted model (its weights only, no cell).

const DB_NAME = 'leukolens-reviewed';
const DB_VERSION = 1;

const requestDone = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

export const cellKey = (sample, photo, number) => `${sample} ${photo} ${number}`;

function openDatabase() {
  const request = indexedDB.open(DB_NAME, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore('cells', { keyPath: 'key' });
    db.createObjectStore('adaptations', { keyPath: 'id' });
    db.createObjectStore('state', { keyPath: 'key' });
  };
  return requestDone(request);
}

export class ReviewedStore {
  constructor(db) {
    this.db = db;
  }

  static async open() {
    return new ReviewedStore(await openDatabase());
  }

  // work(stores) in one transaction; resolves with its result once it is on disk.
  async transact(names, mode, work) {
    const tx = this.db.transaction(names, mode, { durability: 'strict' });
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error || new Error('the write was aborted'));
    });
    const result = await work(Object.fromEntries(names.map((name) => [name, tx.objectStore(name)])));
    await done;
    return result;
  }

  // A cell as a person decided it: its network input and its final class.
  putCell({ sample, photo, number, input, className }) {
    const record = { key: cellKey(sample, photo, number), sample, photo, number, className,
      input: { width: input.width, height: input.height, rgb: input.rgb }, reviewed: new Date().toISOString() };
    return this.transact(['cells'], 'readwrite', ({ cells }) => requestDone(cells.put(record)));
  }

  deleteCell(key) {
    return this.transact(['cells'], 'readwrite', ({ cells }) => requestDone(cells.delete(key)));
  }

  // Every reviewed cell of these classes (all of them when none are named).
  async deleteClasses(names) {
    const doomed = (await this.cells()).filter((cell) => !names || names.includes(cell.className));
    await this.transact(['cells'], 'readwrite', ({ cells }) => Promise.all(doomed.map((cell) => requestDone(cells.delete(cell.key)))));
    return doomed.length;
  }

  // In the order they were reviewed.
  async cells() {
    const all = await this.transact(['cells'], 'readonly', ({ cells }) => requestDone(cells.getAll()));
    return all.sort((a, b) => (a.reviewed < b.reviewed ? -1 : a.reviewed > b.reviewed ? 1 : 0));
  }

  putAdaptation(adaptation) {
    return this.transact(['adaptations'], 'readwrite', ({ adaptations }) => requestDone(adaptations.put(adaptation)));
  }

  async adaptations() {
    const all = await this.transact(['adaptations'], 'readonly', ({ adaptations }) => requestDone(adaptations.getAll()));
    return all.sort((a, b) => (a.created < b.created ? -1 : 1));
  }

  async active() {
    const state = await this.transact(['state'], 'readonly', ({ state: s }) => requestDone(s.get('active')));
    if (!state || !state.id) return null;
    return (await this.transact(['adaptations'], 'readonly', ({ adaptations }) => requestDone(adaptations.get(state.id)))) || null;
  }

  // id null: back to the shipped model. The adaptations themselves are kept.
  setActive(id) {
    return this.transact(['state'], 'readwrite', ({ state }) => requestDone(state.put({ key: 'active', id })));
  }
}

// Reviewed cells per class: [[class, count], ...] in the given order, then any other class.
export function countsByClass(cells, order = []) {
  const counts = new Map(order.map((name) => [name, 0]));
  for (const cell of cells) counts.set(cell.className, (counts.get(cell.className) || 0) + 1);
  return [...counts].filter(([, count]) => count > 0);
}
