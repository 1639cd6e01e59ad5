// The photo cards: each photo shown large, a numbered box on every cell found (coloured by class),
// and the keyboard and mouse ways to pick a cell. The selected cell itself is shown by ui-inspector.js.
import {
  awaitsReview, finalClass, headlineCell, isChecked, isConfirmed, isCorrected, lead, photoTally,
} from './differential.js';
import {
  cellVerdict, classLetter, counted, element, label, lower, make, paintClass, probabilityBars,
} from './ui-parts.js';
import { markBalance } from './ui-colour-pool.js';

const results = () => element('results');
const cardOf = (order) => results().querySelector(`.result[data-photo="${order}"]`);
const boxOf = (order, number) => {
  const card = cardOf(order);
  return card && card.querySelector(`.cell[data-cell="${number}"]`);
};

const NOTES = {
  'not-smear': ['Not a stained blood smear', 'This picture does not look like a stained blood smear to the check, so no '
    + 'cells were looked for. If it is a smear, look for its cells anyway.'],
  'no-cells': ['No white cell found', 'No white cell was found in this photo; it adds nothing to the count.'],
};

// onSelect({ photo, number }) when a cell is clicked or reached with Tab or the arrow keys.
// ------------------------------------------------------------------ zoom: the photo itself, larger

const ZOOMS = [1, 1.5, 2, 3, 4, 6];

function zoomButtons() {
  const group = make('p', 'zoom');
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', 'Zoom the photo (+ and - keys, or Ctrl and the wheel)');
  for (const [step, text, name] of [[-1, '−', 'Zoom out'], [1, '+', 'Zoom in']]) {
    const button = make('button', 'zoom-step', text);
    button.type = 'button';
    button.dataset.zoomStep = String(step);
    button.setAttribute('aria-label', name);
    group.append(button);
  }
  group.append(make('span', 'zoom-level', '100%'));
  return group;
}

// Zooms a photo one step in or out, keeping the photo point (fx, fy: fractions of its width and height)
// where it was on the screen: under the pointer for the wheel, the selected cell for the keys.
function zoomPhoto(viewport, step, fx = 0.5, fy = 0.5) {
  const now = Number(viewport.dataset.zoom);
  const next = ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, ZOOMS.indexOf(now) + step))];
  if (next === now) return;
  const frame = viewport.querySelector('.photo');
  const before = frame.getBoundingClientRect();
  const view = viewport.getBoundingClientRect();
  const onScreenX = before.left + fx * before.width - view.left;
  const onScreenY = before.top + fy * before.height - view.top;
  // Zoomed relative to the photo's width as it fits (the view's scroll bars, once zoomed, take none of it).
  if (now === 1) viewport.style.setProperty('--fit', `${viewport.clientWidth}px`);
  if (next === 1) viewport.style.removeProperty('--fit');
  viewport.dataset.zoom = String(next);
  viewport.style.setProperty('--zoom', String(next));
  viewport.closest('.result').querySelector('.zoom-level').textContent = `${Math.round(next * 100)}%`;
  const after = frame.getBoundingClientRect();
  viewport.scrollLeft = fx * after.width - onScreenX;
  viewport.scrollTop = fy * after.height - onScreenY;
}

function initZoom() {
  results().addEventListener('click', (event) => {
    const button = event.target.closest('button[data-zoom-step]');
    if (!button) return;
    const viewport = button.closest('.result').querySelector('.photo-view');
    const selected = viewport.querySelector('.cell[aria-current="true"]');
    zoomPhoto(viewport, Number(button.dataset.zoomStep), ...(selected ? photoFraction(selected) : []));
  });
  // Ctrl and the wheel (a touchpad's pinch arrives so too) zoom the photo under the pointer; the wheel
  // alone still scrolls the page.
  results().addEventListener('wheel', (event) => {
    const viewport = event.target.closest('.photo-view');
    if (!viewport || !event.ctrlKey) return;
    event.preventDefault();
    const frame = viewport.querySelector('.photo').getBoundingClientRect();
    zoomPhoto(viewport, event.deltaY < 0 ? 1 : -1, (event.clientX - frame.left) / frame.width,
      (event.clientY - frame.top) / frame.height);
  }, { passive: false });
}

// Where a box's cell is in its photo, as fractions of the photo's width and height.
function photoFraction(box) {
  const [left, top, width, height] = box.dataset.outline.split(',').map(Number);
  const picture = box.closest('.photo').querySelector('img');
  return [(left + width / 2) / picture.naturalWidth, (top + height / 2) / picture.naturalHeight];
}

// + and - zoom the selected cell's photo around that cell.
export function zoomSelected(step) {
  const box = results().querySelector('.cell[aria-current="true"]');
  if (!box) return false;
  zoomPhoto(box.closest('.photo-view'), step, ...photoFraction(box));
  box.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: 'instant' });
  return true;
}

// ------------------------------------------------------------------ adding a cell the finder missed

const ADD_TEXT = 'Add a missed cell';
const ADDING_TEXT = 'Click the missed cell on the photo (Esc: cancel)';

function addCellButton() {
  const button = make('button', 'add-cell', ADD_TEXT);
  button.type = 'button';
  button.setAttribute('aria-pressed', 'false');
  button.title = 'A white cell without a box: point at it on the photo, and it is classified and counted';
  return button;
}

// Adding mode: the next click on the photo (not on a box) says where the missed cell is.
function setAdding(card, on) {
  const button = card.querySelector('button.add-cell');
  if (!button) return;
  card.classList.toggle('adding', on);
  button.setAttribute('aria-pressed', String(on));
  button.textContent = on ? ADDING_TEXT : ADD_TEXT;
}

const stopAdding = () => results().querySelectorAll('.result.adding').forEach((card) => setAdding(card, false));

// [y, x] in the photo's own pixels of a click on its picture.
function photoPoint(event, picture) {
  const frame = picture.getBoundingClientRect();
  const along = (offset, shown, natural) => Math.min(natural - 1, Math.max(0, Math.floor((offset / shown) * natural)));
  return [along(event.clientY - frame.top, frame.height, picture.naturalHeight),
    along(event.clientX - frame.left, frame.width, picture.naturalWidth)];
}

// onAddCell(photo order, [y, x]) when a person points at a white cell the finder gave no box.
function initAdding(onAddCell) {
  results().addEventListener('click', (event) => {
    const button = event.target.closest('button.add-cell');
    const card = event.target.closest('.result');
    if (button) {
      const on = !card.classList.contains('adding');
      stopAdding();
      setAdding(card, on);
      return;
    }
    const picture = card && card.classList.contains('adding') && !event.target.closest('.cell')
      && event.target.closest('.photo') && card.querySelector('.photo img');
    if (!picture) return;
    setAdding(card, false);
    onAddCell(Number(card.dataset.photo), photoPoint(event, picture));
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && results().querySelector('.result.adding')) stopAdding();
  });
}

// onLookAnyway(photo order) when a person asks for the cells of a photo the smear check refused.
export function initPhotos({ onSelect, onLookAnyway, onAddCell }) {
  initZoom();
  initAdding(onAddCell);
  const refOf = (box) => ({ photo: Number(box.closest('.result').dataset.photo), number: Number(box.dataset.cell) });
  results().addEventListener('click', (event) => {
    const box = event.target.closest('.cell');
    if (box) onSelect(refOf(box));
    const look = event.target.closest('button.look-anyway');
    if (look) {
      look.disabled = true;
      onLookAnyway(Number(look.closest('.result').dataset.photo));
    }
  });
  results().addEventListener('focusin', (event) => {
    if (event.target.matches('.cell')) onSelect(refOf(event.target));
  });
  // Arrow keys walk through every cell on the page, photo after photo, as a technologist scans a slide.
  results().addEventListener('keydown', (event) => {
    if (!event.target.matches('.cell')) return;
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const boxes = [...results().querySelectorAll('.cell')];
    const next = boxes[boxes.indexOf(event.target) + step];
    if (next) next.focus();
  });
}

export function showLegend(types) {
  const legend = element('legend');
  const swatch = (name) => {
    const item = make('li', 'swatch');
    item.dataset.class = name;
    item.append(make('span', 'letter', classLetter(name)), ` ${label(name)}`);
    paintClass(item, name);
    return item;
  };
  legend.replaceChildren(
    ...types.order.map(swatch),
    make('li', 'key edge', 'dashed: cut by the photo\'s edge'),
    make('li', 'key review', '?: network unsure, needs review'),
    make('li', 'key excluded', '×: not a cell, not counted'),
    make('li', 'key added', 'double: added by a person'),
  );
}

function cellDescription(cell) {
  const parts = [`Cell ${cell.number}: ${cellVerdict(cell)}`];
  if (cell.touchesEdge) parts.push('cut by the photo\'s edge');
  if (cell.added) parts.push('added by a person');
  return parts.join('; ');
}

// The box's attributes are the test and benchmark hooks: data-box (the crop square the network saw,
// clipped to the photo) and data-outline (the cell itself, drawn) in photo pixels, data-class after any
// correction, data-probability the model's own.
function renderBox(box, cell, photo) {
  const drawn = cell.outline || cell.box;
  const [left, top, width, height] = drawn;
  Object.assign(box.dataset, {
    cell: String(cell.number),
    box: cell.box.join(','),
    outline: drawn.join(','),
    class: finalClass(cell),
    probability: String(cell.probability),
    review: String(Boolean(cell.review)),
    lead: String(lead(cell)),
  });
  for (const [key, on] of [['corrected', isCorrected(cell)], ['excluded', cell.excluded], ['edge', cell.touchesEdge],
    ['added', cell.added],
    ['awaiting', awaitsReview(cell)], ['checked', isChecked(cell)], ['confirmed', isConfirmed(cell)]]) {
    if (on) box.dataset[key] = 'true';
    else delete box.dataset[key];
  }
  box.style.left = `${(100 * left) / photo.width}%`;
  box.style.top = `${(100 * top) / photo.height}%`;
  box.style.width = `${(100 * width) / photo.width}%`;
  box.style.height = `${(100 * height) / photo.height}%`;
  paintClass(box, finalClass(cell));
  const mark = cell.excluded ? ' ×' : awaitsReview(cell) ? ' ?' : isCorrected(cell) ? ' ✎' : '';
  box.querySelector('.cell-tag').textContent = `${cell.number} ${classLetter(finalClass(cell))}${mark}`;
  box.setAttribute('aria-label', cellDescription(cell));
  box.title = cellDescription(cell);
}

function cellBox(cell, photo) {
  const box = make('button', 'cell');
  box.type = 'button';
  box.append(make('span', 'cell-tag'));
  renderBox(box, cell, photo);
  return box;
}

function photoHeading(photo, types) {
  if (NOTES[photo.status]) return NOTES[photo.status][0];
  const counting = photo.cells.filter((cell) => !cell.excluded);
  if (photo.cells.length === 1) return cellVerdict(photo.cells[0]);
  if (!counting.length) return `${counted(photo.cells.length, 'cell')} found, all excluded`;
  const parts = photoTally(photo.cells, types).map(([name, n]) => counted(n, lower(name)));
  return `${counted(counting.length, 'cell')}: ${parts.join(', ')}`;
}

// What a glance at the card must not miss: cells to review, corrections, exclusions, cells at the edge.
function photoFlags(photo) {
  const flags = [];
  const awaiting = photo.cells.filter(awaitsReview).length;
  if (awaiting && photo.cells.length > 1) flags.push(['review', `${awaiting} to review`]);
  const corrected = photo.cells.filter((cell) => !cell.excluded && isCorrected(cell)).length;
  if (corrected && photo.cells.length > 1) flags.push(['corrected', `${corrected} corrected`]);
  const excluded = photo.cells.filter((cell) => cell.excluded).length;
  if (excluded && photo.cells.length > 1) flags.push(['excluded', `${excluded} excluded`]);
  const edge = photo.cells.filter((cell) => cell.touchesEdge).length;
  if (edge) flags.push(['edge', `${edge} cut by the photo's edge`]);
  return flags.map(([kind, text]) => make('span', `badge ${kind}`, text));
}

// The main cell's probabilities (the cell Python's evaluation uses for a one-cell photo) as
// .bar[data-class][data-probability], one per model class: what the benchmark compares with Keras.
// Every cell's own probabilities are shown when it is selected (ui-inspector.js).
function mainCellBars(photo) {
  const main = photo.main === null || photo.main === undefined ? null : photo.cells[photo.main];
  if (!main) return null;
  const bars = probabilityBars(main.probabilities, { hooks: true });
  const details = make('details', 'main-cell');
  details.open = photo.cells.length === 1;
  details.append(make('summary', null, photo.cells.length === 1 ? 'Probabilities'
    : `Probabilities of cell ${main.number} (the most prominent cell clear of the edge); select a cell for its own`), bars);
  return details;
}

function renderHeader(card, photo, types) {
  const top = headlineCell(photo);
  if (top) card.dataset.topClass = finalClass(top);
  else delete card.dataset.topClass;
  card.querySelector('.top').textContent = photoHeading(photo, types);
  card.querySelector('.flags').replaceChildren(...photoFlags(photo));
  card.classList.toggle('awaiting', photo.cells.some(awaitsReview));
}

function errorCard(photo) {
  const card = make('article', 'result');
  card.dataset.error = photo.error;
  card.append(make('p', 'file', photo.name), make('p', 'error', photo.error));
  return card;
}

function photoCard(photo, types) {
  const card = make('article', 'result');
  const viewport = make('div', 'photo-view');
  if (photo.width && photo.height) viewport.style.setProperty('--aspect', String(photo.width / photo.height));
  viewport.dataset.zoom = '1';
  const frame = make('div', 'photo');
  viewport.append(frame);
  const picture = make('img');
  picture.src = URL.createObjectURL(photo.blob);
  picture.alt = `Smear photo ${photo.name}`;
  frame.append(picture, ...photo.cells.map((cell) => cellBox(cell, photo)));
  const facts = make('div', 'about');
  facts.append(make('p', 'file', `${photo.position}. ${photo.name}`), make('h3', 'top'), make('p', 'flags'));
  if (NOTES[photo.status]) facts.append(make('p', 'note', NOTES[photo.status][1]));
  if (photo.status === 'not-smear') facts.append(lookAnywayButton());
  if (photo.lookedAnyway) {
    facts.append(make('p', 'note looked-anyway', 'Looked for cells anyway: the smear check did not take this '
      + 'picture for a stained smear.'));
  }
  const bars = mainCellBars(photo);
  if (bars) facts.append(bars);
  if (photo.milliseconds) facts.append(make('p', 'time', `classified in ${photo.milliseconds.toFixed(0)} ms`));
  if (CELLS_SHOWN.has(photo.status)) facts.append(addCellButton());
  facts.append(zoomButtons());
  card.append(viewport, facts);
  renderHeader(card, photo, types);
  return card;
}

// Photos whose cells were looked for: a person may add one the finder missed.
const CELLS_SHOWN = new Set(['cells', 'no-cells']);

function lookAnywayButton() {
  const button = make('button', 'look-anyway', 'Look for cells anyway');
  button.type = 'button';
  return button;
}

// Adds (or replaces) a photo's card, in the order the photos were picked.
export function showPhoto(photo, types) {
  const card = photo.status === 'error' ? errorCard(photo) : photoCard(photo, types);
  card.dataset.file = photo.name;
  card.dataset.photo = String(photo.order);
  card.dataset.status = photo.status;
  markBalance(card, photo);
  const old = cardOf(photo.order);
  if (old) {
    revoke(old);
    old.replaceWith(card);
    return;
  }
  const after = [...results().children].find((other) => Number(other.dataset.photo) > photo.order);
  results().insertBefore(card, after || null);
}

// After a correction: the box and its card's heading change; the card stays (and keeps the focus).
export function updateCell(photo, cell, types) {
  const box = boxOf(photo.order, cell.number);
  if (!box) return;
  renderBox(box, cell, photo);
  renderHeader(cardOf(photo.order), photo, types);
}

// A cell a person added: its box joins the card, which keeps its zoom; a card that said "no white cell
// found" is drawn again.
export function showAddedCell(photo, cell, types) {
  const card = cardOf(photo.order);
  if (!card || card.dataset.status !== photo.status) {
    showPhoto(photo, types);
    return;
  }
  card.querySelector('.photo').append(cellBox(cell, photo));
  renderHeader(card, photo, types);
}

// Marks the selected cell's box and returns it (or null).
export function markSelected(ref) {
  for (const box of results().querySelectorAll('.cell[aria-current]')) box.removeAttribute('aria-current');
  const box = ref && boxOf(ref.photo, ref.number);
  if (box) box.setAttribute('aria-current', 'true');
  return box || null;
}

// Whether a box, its tag and (in a zoomed photo) its place in the photo's view are all in the window.
function wholeInView(box) {
  const tag = box.querySelector('.cell-tag').getBoundingClientRect();
  const cell = box.getBoundingClientRect();
  const view = box.closest('.photo-view').getBoundingClientRect();
  return tag.top >= 0 && cell.bottom <= window.innerHeight && cell.top >= view.top - 1 && cell.bottom <= view.bottom + 1
    && cell.left >= view.left - 1 && cell.right <= view.right + 1;
}

// A selected box not all in view is brought to a comfortable place: its whole photo in the window, from
// the top of its card (the colour key above the first photo is left out whole, never cut), not the box
// alone at the window's edge with most of its photo beyond. A box already in view stays where it is.
export function revealBox(box) {
  if (!box || wholeInView(box)) return;
  box.closest('.result').scrollIntoView({ block: 'start', behavior: 'instant' });
  box.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: 'instant' });  // inside a zoomed photo
}

// The photo's own picture (for the enlarged view of a cell), or null.
export function photoPicture(order) {
  const card = cardOf(order);
  return (card && card.querySelector('.photo img')) || null;
}

export function focusCell(ref) {
  const box = boxOf(ref.photo, ref.number);
  if (box) box.focus({ preventScroll: true });
}

function revoke(card) {
  for (const picture of card.querySelectorAll('img')) URL.revokeObjectURL(picture.src);
}

export function clearPhotos() {
  for (const card of results().children) revoke(card);
  results().replaceChildren();
}
