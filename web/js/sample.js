// The sample being counted: its photos and their cells in memory, and every change written to the
// store (sample-store.js) as it happens, one small transaction per change. No DOM.
//
// A photo: { order (its key: increasing, unique), position (1, 2, ... as shown), name, blob,
//   status: 'pending' | 'cells' | 'no-cells' | 'not-smear' | 'error', lookedAnyway (a person overrode the
//   smear check), error, width, height,
//   main (index of its main cell or null), classes, model, colour ({ own, used } white points, colour-pool.js),
//   milliseconds, cells }.
// A cell: what analyse.js found ({ number, box, square, touchesEdge, probabilities, modelClass,
//   probability, review, input, distance (familiarity.js); added: true and model for a cell a person added
//   where the finder gave none }),
//   its photo's order, and what a person decided: assigned, excluded,
//   confirmed (ISO date-time a person confirmed its class, or null) and decided (ISO date-time of the
//   latest decision, or null). A confirmed or corrected cell is a labelled example (labelledClass).
// The sample's record: { key, label, created, opened, target, wbc (x10^9/L or null),
//   signed ({ by, at, models } or null), reopened ([{ by, at, reason, signed }]: every sign-off undone),
//   pooledColour (one microscope: its photos balanced by the sample's pooled white point; colour-pool.js) }.
// Whether a photo is kept in the store: kept (its file; false when the store refused it, then nothing
// else of it is written), resultKept (its findings and cells; corrections are written only after them).

import { drafts } from './sample-store.js';

const DEFAULT_TARGET = 100;

const pick = (object, keys) => Object.fromEntries(keys.map((key) => [key, object[key]]));
const PHOTO_FIELDS = ['order', 'status', 'lookedAnyway', 'error', 'width', 'height', 'main', 'classes', 'model',
  'colour', 'milliseconds'];
const CELL_FIELDS = ['photo', 'number', 'box', 'outline', 'square', 'touchesEdge', 'probabilities', 'modelClass', 'probability',
  'review', 'input', 'added', 'model', 'distance'];

const byOrder = (a, b) => a.order - b.order;
const cellKey = (photo, number) => `${photo} ${number}`;

const decisionOf = (correction) => ({ assigned: correction.assigned || null, excluded: Boolean(correction.excluded),
  confirmed: correction.confirmed || null, decided: correction.decided || null });
const UNDECIDED = decisionOf({});

// Rebuilds the photos of a loaded sample from its stored records.
function assemble({ files, photos, cells, corrections }) {
  const results = new Map(photos.map((photo) => [photo.order, photo]));
  const decided = new Map(corrections.map((c) => [cellKey(c.photo, c.number), c]));
  const cellsOf = new Map();
  for (const cell of cells) {
    const correction = decided.get(cellKey(cell.photo, cell.number)) || {};
    const list = cellsOf.get(cell.photo) || [];
    list.push({ ...pick(cell, CELL_FIELDS), ...decisionOf(correction) });
    cellsOf.set(cell.photo, list);
  }
  return files.sort(byOrder).map((file, i) => ({
    position: i + 1,
    name: file.name,
    blob: file.blob,
    kept: true,
    resultKept: results.has(file.order),
    ...(results.get(file.order) || { order: file.order, status: 'pending' }),
    cells: (cellsOf.get(file.order) || []).sort((a, b) => a.number - b.number),
  }));
}

// Orders of the photo, cell and correction records that have no file record (left by versions that
// wrote a pick in one transaction and its results even when the files were refused).
function orphans({ files, photos, cells, corrections }) {
  const filed = new Set(files.map((file) => file.order));
  return [...new Set([...photos.map((photo) => photo.order), ...cells.map((cell) => cell.photo),
    ...corrections.map((c) => c.photo)])].filter((order) => !filed.has(order));
}

export class Sample {
  // onProblem(error, photo) is told about every failed write, with the photo whose file could not be
  // kept when that is what failed; the sample carries on in memory regardless.
  constructor(store, record, onProblem) {
    this.store = store;
    this.record = record;
    this.onProblem = onProblem;
    this.photos = [];
  }

  static async create(store, onProblem, { target = DEFAULT_TARGET } = {}) {
    const now = new Date().toISOString();
    const record = { label: '', created: now, opened: now, target };
    record.key = await store.createSample(record);
    return new Sample(store, record, onProblem);
  }

  static async load(store, key, onProblem) {
    const stored = await store.loadSample(key);
    if (!stored.sample) return null;
    // What was typed last, if the page went away before IndexedDB had it.
    const typed = store.kept ? drafts.read(stored.sample) : {};
    const sample = new Sample(store, { ...stored.sample, ...typed, opened: new Date().toISOString() }, onProblem);
    sample.photos = assemble(stored);
    const unfiled = orphans(stored);
    if (unfiled.length) await sample.keep(() => store.removePhotos(key, unfiled));
    await sample.saveRecord();  // the latest opened is the one a reload shows
    return sample;
  }

  get key() {
    return this.record.key;
  }

  // true once written; false, and onProblem told, when the write failed.
  async keep(write, photo = null) {
    try {
      await write();
      return true;
    } catch (error) {
      this.onProblem(error, photo);
      return false;
    }
  }

  cells() {
    return this.photos.flatMap((photo) => photo.cells);
  }

  pending() {
    return this.photos.filter((photo) => photo.status === 'pending');
  }

  photo(order) {
    return this.photos.find((photo) => photo.order === order) || null;
  }

  cell(order, number) {
    const photo = this.photo(order);
    return (photo && photo.cells.find((cell) => cell.number === number)) || null;
  }

  // 'name (version v)' of every model that classified a cell or photo of this sample, in order.
  modelsUsed() {
    const models = [...this.photos, ...this.cells()].filter((item) => item.model);
    return [...new Set(models.map(({ model }) => `${model.name} (version ${model.version})`))];
  }

  // Classes the cells of this sample were given, whichever model gave them.
  classesSeen() {
    return [...new Set(this.cells().flatMap((cell) => [cell.modelClass, cell.assigned].filter(Boolean)))];
  }

  // New photos, in the order picked; their files are kept at once, each in a write of its own, so a
  // crash before they are classified loses nothing (they are classified when the sample is opened
  // again) and a file that does not fit costs only itself. Keys start from the clock: a second tab
  // adding to the same sample gets keys of its own instead of overwriting these.
  addFiles(files) {
    const next = this.photos.reduce((last, photo) => Math.max(last, photo.order + 1), Date.now());
    const added = files.map((file, i) => ({
      order: next + i, position: this.photos.length + i + 1, name: file.name, blob: file, status: 'pending', cells: [],
      kept: null, resultKept: false,
    }));
    this.photos.push(...added);
    for (const photo of added) {
      photo.stored = this.keep(() => this.store.putFile(this.fileRecord(photo)), photo).then((kept) => {
        photo.kept = kept;
      });
    }
    return added;
  }

  fileRecord(photo) {
    return { sample: this.key, order: photo.order, name: photo.name, type: photo.blob ? photo.blob.type : '', blob: photo.blob };
  }

  async recordResult(photo, result) {
    Object.assign(photo, result, { error: result.error || null, main: result.main ?? null });
    photo.cells = (result.cells || []).map((cell) => ({ ...cell, photo: photo.order, ...UNDECIDED }));
    // An unreadable file is kept by name only: its bytes show nothing and may be large.
    if (photo.status === 'error') photo.blob = null;
    await photo.stored;
    if (!photo.kept) return;  // shown for this visit only: a result without its file would be an orphan
    photo.resultKept = await this.keep(() => this.store.putResult(
      { sample: this.key, ...pick(photo, PHOTO_FIELDS) },
      photo.cells.map((cell) => ({ sample: this.key, ...pick(cell, CELL_FIELDS) })),
      photo.status === 'error' ? this.fileRecord(photo) : null,
    ));
  }

  // A cell a person added where the finder gave none (analyse.js analyseAddedCell): counted from now on, and
  // a decision of theirs, so the photo is not analysed again (colour-pool.js isReviewed). Its class stays the
  // network's until they confirm or correct it.
  async addCell(photo, cell) {
    const added = { ...cell, photo: photo.order, ...UNDECIDED, decided: new Date().toISOString() };
    photo.cells.push(added);
    photo.status = 'cells';
    if (!(photo.kept && photo.resultKept)) return added;  // its photo is not kept: nor is this
    photo.resultKept = await this.keep(() => this.store.putResult({ sample: this.key, ...pick(photo, PHOTO_FIELDS) },
      photo.cells.map((c) => ({ sample: this.key, ...pick(c, CELL_FIELDS) }))));
    await this.keepCorrection(added);
    return added;
  }

  // A person's class for a cell; counts it again if excluded. The model's own class confirms it.
  async assign(cell, className) {
    const now = new Date().toISOString();
    Object.assign(cell, { assigned: className, excluded: false, decided: now,
      confirmed: className === cell.modelClass ? now : null });
    await this.keepCorrection(cell);
  }

  // Checked as it is: the class it has now (the model's, or a person's correction) is the right one.
  async confirm(cell) {
    const now = new Date().toISOString();
    Object.assign(cell, { assigned: cell.assigned || cell.modelClass, excluded: false, confirmed: now, decided: now });
    await this.keepCorrection(cell);
  }

  async setExcluded(cell, excluded) {
    Object.assign(cell, { excluded, decided: new Date().toISOString() });
    await this.keepCorrection(cell);
  }

  async keepCorrection(cell) {
    const photo = this.photo(cell.photo);
    if (!(photo && photo.kept && photo.resultKept)) return;  // its photo or cells are not kept: nor is this
    await this.keep(() => this.store.putCorrection({
      sample: this.key, photo: cell.photo, number: cell.number, ...pick(cell, ['assigned', 'excluded', 'confirmed', 'decided']),
    }));
  }

  // Signed: read-only until reopened.
  get signed() {
    return this.record.signed || null;
  }

  async sign(initials, models) {
    this.record.signed = { by: initials, at: new Date().toISOString(), models };
    await this.keep(() => this.store.putSample(this.record));
  }

  // Undoes the sign-off; who, when, why and the sign-off undone are kept in the record.
  async reopen(initials, reason) {
    const reopened = { by: initials, at: new Date().toISOString(), reason, signed: this.record.signed };
    this.record.reopened = [...(this.record.reopened || []), reopened];
    this.record.signed = null;
    await this.keep(() => this.store.putSample(this.record));
  }

  async setWbc(wbc) {
    this.record.wbc = wbc;
    await this.keep(() => this.store.putSample(this.record));
  }

  async setPooledColour(on) {
    this.record.pooledColour = on;
    await this.saveRecord();
  }

  async setLabel(label) {
    this.record.label = label;
    await this.saveRecord();
  }

  async setTarget(target) {
    this.record.target = target;
    await this.saveRecord();
  }

  // The sample's record: a draft at once (see drafts in sample-store.js), then IndexedDB, one write at
  // a time with the latest values last, so fast typing queues no backlog of writes.
  saveRecord() {
    if (this.store.kept) drafts.write(this.record);
    if (this.recordWrite) {
      this.recordChanged = true;
      return this.recordWrite;
    }
    this.recordWrite = (async () => {
      let written;
      do {
        this.recordChanged = false;
        const record = { ...this.record };
        written = await this.keep(() => this.store.putSample(record));
      } while (this.recordChanged);
      this.recordWrite = null;
      if (written && this.store.kept) drafts.settle(this.record);
    })();
    return this.recordWrite;
  }

  // Empty and unnamed: not worth listing once the user has moved on to another sample.
  isBlank() {
    return this.photos.length === 0 && !this.record.label;
  }

  async clear() {
    this.photos = [];
    await this.keep(() => this.store.clearSample(this.key));
  }
}
