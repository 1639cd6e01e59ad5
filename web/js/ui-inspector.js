// The selected cell: the photo's own pixels around it and what the network saw (its input), both
// enlarged, what it said, and the buttons to confirm or correct it. As on a manual differential counter,
// keys 1..9 give the classes in the order the buttons show them, 0 or X marks the cell "not a cell",
// Enter confirms it as it is, N goes to the next cell awaiting review, + and - zoom its photo.
import { awaitsReview, finalClass, isChecked, isConfirmed, isCorrected } from './differential.js';
import { counted, element, label, lower, make, modelSays, paintClass, probabilityBars } from './ui-parts.js';

const KEYS = '123456789';
let classOrder = [];
let shown = false;
let readOnly = false;
let current = null;  // the cell shown
let drawn = null;  // { picture, cell } of the enlarged view, drawn again when its size changes

// Typing a sample ID or a target must never reclassify a cell.
function typingIn(target) {
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

// Enter confirms the selected cell unless it is meant for another button (a class button, "Next").
const enterConfirms = (target) => !target.closest('button, a, summary') || target.matches('.cell');

function onKey(event, { onAssign, onExclude, onConfirm, onNext, onZoom }) {
  if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typingIn(event.target)
    || document.querySelector('dialog[open]')) return;
  if (event.key === 'n' || event.key === 'N') {
    event.preventDefault();
    onNext();
    return;
  }
  if (['+', '=', '-'].includes(event.key)) {
    if (onZoom(event.key === '-' ? -1 : 1)) event.preventDefault();
    return;
  }
  if (!shown) return;
  const index = KEYS.indexOf(event.key);
  if (event.key.length === 1 && index >= 0 && index < classOrder.length) {
    event.preventDefault();
    onAssign(classOrder[index]);
  } else if (['0', 'x', 'X'].includes(event.key)) {
    event.preventDefault();
    onExclude();
  } else if (event.key === 'Enter' && enterConfirms(event.target)) {
    event.preventDefault();
    onConfirm();
  }
}

export function initInspector(actions) {
  element('class-buttons').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-assign]');
    if (button) actions.onAssign(button.dataset.assign);
  });
  element('exclude-cell').addEventListener('click', () => actions.onExclude());
  element('confirm-cell').addEventListener('click', () => actions.onConfirm());
  element('next-review').addEventListener('click', () => actions.onNext());
  document.addEventListener('keydown', (event) => onKey(event, actions));
  // The view is drawn at the screen's pixels: again whenever its size changes (the window, a note above it).
  new ResizeObserver(() => drawZoom()).observe(element('inspector-photo'));
}

// The class buttons, in the differential's order; the first nine have a number key.
export function setClasses(order) {
  classOrder = order;
  element('class-buttons').replaceChildren(...order.map((name, i) => {
    const button = make('button', 'assign');
    button.type = 'button';
    button.dataset.assign = name;
    if (i < KEYS.length) {
      button.setAttribute('aria-keyshortcuts', KEYS[i]);
      button.append(make('kbd', null, KEYS[i]), ' ');
    }
    button.append(make('span', 'name', label(name)));
    button.title = label(name);
    paintClass(button, name);
    return button;
  }));
}

function drawInput(canvas, { width, height, rgb }) {
  canvas.width = width;
  canvas.height = height;
  const pixels = new ImageData(width, height);
  for (let from = 0, to = 0; from < rgb.length; from += 3, to += 4) {
    pixels.data[to] = rgb[from];
    pixels.data[to + 1] = rgb[from + 1];
    pixels.data[to + 2] = rgb[from + 2];
    pixels.data[to + 3] = 255;
  }
  canvas.getContext('2d').putImageData(pixels, 0, 0);
}

// The enlarged view: the cell's own extent (its outline and a margin), not the whole square the network's
// input was cut from (shown beside), always larger than the photo shows it, so that the nucleus and the
// granules can be judged; a cell too large for that shows its middle. Drawn at the screen's own pixels,
// smoothly resampled ('high' quality: bicubic in Chromium, no blocks of pixels); what lies past the
// photo's edge is left grey.
const MARGIN = 0.08;  // of the cell's larger side, on each side
const AT_LEAST = 1.25;  // times as large as the photo shows it (when not zoomed)

// The square of the photo the view shows, in photo pixels, for a view of viewSide screen (CSS) pixels.
function zoomRegion(cell, viewSide, photoScale) {
  const [squareTop, squareLeft, squareSide] = cell.square || [0, 0, 0];
  const [x, y, w, h] = cell.outline || [squareLeft, squareTop, squareSide, squareSide];
  const side = Math.min(Math.max(w, h) * (1 + 2 * MARGIN), viewSide / (AT_LEAST * photoScale));
  return { left: x + w / 2 - side / 2, top: y + h / 2 - side / 2, side };
}

function drawZoom() {
  const canvas = element('inspector-photo');
  const viewSide = canvas.clientWidth;
  if (!viewSide) return;
  const pixels = Math.round(viewSide * (window.devicePixelRatio || 1));
  canvas.width = pixels;
  canvas.height = pixels;
  const context = canvas.getContext('2d');
  context.fillStyle = '#c8c8c8';
  context.fillRect(0, 0, pixels, pixels);
  element('inspector-scale').textContent = '';
  if (!drawn) return;
  const { picture, cell } = drawn;
  if (!picture.naturalWidth) {
    if (!picture.complete) picture.addEventListener('load', drawZoom, { once: true });
    return;
  }
  // The photo's scale on screen as it fits its card (zooming it changes its frame, not its view).
  const photoScale = picture.closest('.photo-view').offsetWidth / picture.naturalWidth;
  const { left, top, side } = zoomRegion(cell, viewSide, photoScale);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(picture, left, top, side, side, 0, 0, pixels, pixels);
  canvas.dataset.region = [left, top, side].map((value) => value.toFixed(1)).join(',');
  const times = viewSide / side / photoScale;
  element('inspector-scale').textContent = `← ${times.toFixed(1)}× as large as on the photo, from its own pixels`;
}

// What a person may still do is said only while they may: a signed sample takes no key.
function stateLine(cell) {
  if (cell.excluded) return 'Marked "not a cell": not counted.';
  if (isCorrected(cell)) return `Corrected to ${lower(cell.assigned)}: counted as ${lower(cell.assigned)}.`;
  if (awaitsReview(cell)) return readOnly ? 'Needs review: the network is unsure.' : 'Needs review: Enter confirms it, a number key corrects it.';
  if (isConfirmed(cell)) return 'Checked: the network\'s class was confirmed.';
  if (isChecked(cell)) return 'Checked.';
  return readOnly ? 'Counted as the network says.' : 'Counted as the network says (Enter confirms it).';
}

function showState(cell) {
  element('inspector-state').textContent = stateLine(cell);
  element('inspector-state').dataset.state = stateOf(cell);
}

const stateOf = (cell) => (cell.excluded ? 'excluded' : isCorrected(cell) ? 'corrected' : awaitsReview(cell) ? 'review'
  : isChecked(cell) ? 'confirmed' : 'counted');

// picture: the photo's <img> (its own pixels are enlarged), or null.
export function showCell(photo, cell, picture) {
  shown = true;
  current = cell;
  element('inspector-empty').hidden = true;
  element('inspector-cell').hidden = false;
  element('inspector-cell').dataset.cell = `${photo.order} ${cell.number}`;
  element('inspector-where').textContent = `Photo ${photo.position} (${photo.name}), cell ${cell.number} of ${photo.cells.length}`;
  const canvas = element('inspector-crop');
  drawInput(canvas, cell.input);
  const { width, height } = cell.input;
  canvas.setAttribute('aria-label', `What the network saw: the ${width} by ${height} pixel input for cell ${cell.number}`);
  drawn = picture ? { picture, cell } : null;
  drawZoom();
  element('inspector-photo').setAttribute('aria-label', `Cell ${cell.number} enlarged from the photo's own pixels`);
  element('inspector-bars').setAttribute('aria-label', `The network's probabilities for this cell: ${modelSays(cell)}`);
  showState(cell);
  element('inspector-edge').hidden = !cell.touchesEdge;
  element('inspector-bars').replaceChildren(probabilityBars(cell.probabilities, { hooks: true }));
  for (const button of element('class-buttons').children) {
    button.setAttribute('aria-pressed', String(!cell.excluded && button.dataset.assign === finalClass(cell)));
  }
  const exclude = element('exclude-cell');
  exclude.setAttribute('aria-pressed', String(cell.excluded));
  exclude.lastChild.textContent = cell.excluded ? ' Count it again' : ' Not a cell';
  element('confirm-cell').setAttribute('aria-pressed', String(isChecked(cell) && !cell.excluded && !isCorrected(cell)));
  paintClass(element('inspector-crop-frame'), finalClass(cell));
}

export function showNoCell() {
  shown = false;
  current = null;
  drawn = null;
  element('inspector-empty').hidden = false;
  element('inspector-cell').hidden = true;
  delete element('inspector-cell').dataset.cell;
}

// "k of n reviewed": of the cells the network was unsure of, how many a person has checked.
export function showReviewProgress({ flagged, reviewed }, available) {
  const progress = element('review-progress');
  Object.assign(progress.dataset, { flagged: String(flagged), reviewed: String(reviewed) });
  const text = flagged ? `${reviewed.toLocaleString('en')} of ${counted(flagged, 'flagged cell')} reviewed`
    : 'No cell flagged for review';  // not "0 of 0" beside a greyed "Next to review"
  progress.textContent = available ? text : '';
  element('next-review').disabled = readOnly || reviewed >= flagged;
}

// A signed sample is read-only: nothing about a cell can change until the sample is reopened.
// Said beside the disabled buttons, where the person is looking, not only at the top of the page.
export function setReadOnly(on) {
  readOnly = on;
  for (const button of element('inspector').querySelectorAll('#class-buttons button, #exclude-cell, #confirm-cell')) {
    button.disabled = on;
  }
  if (on) element('next-review').disabled = true;
  element('inspector-locked').hidden = !on;
  if (current) showState(current);
}

export const isReadOnly = () => readOnly;

// The selected cell's controls in view: once the page is scrolled to the workspace, the side column
// stays put (sticky) with the review bar and the inspector at its top. (The box: ui-photos.js, revealBox.)
export function revealInspector() {
  const inspector = element('inspector');
  const side = inspector.closest('.side');
  const style = getComputedStyle(side);
  if (style.position === 'sticky') {
    const stuckAt = parseFloat(style.top) || 0;
    const offset = side.getBoundingClientRect().top - stuckAt;
    if (offset > 1) window.scrollBy({ top: offset, behavior: 'instant' });
    side.scrollTop = 0;
  } else {
    inspector.scrollIntoView({ block: 'nearest', behavior: 'instant' });
  }
}
