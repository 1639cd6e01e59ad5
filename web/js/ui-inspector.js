// The selected cell: what the network saw (its input, drawn enlarged), what it said, and the buttons
// to correct it. As on a manual differential counter, keys 1..9 give the classes in the order the
// buttons show them, and 0 or X marks the cell "not a cell".
import { awaitsReview, finalClass, isChecked, isCorrected } from './differential.js';
import { element, label, lower, make, modelSays, paintClass, probabilityBars } from './ui-parts.js';

const KEYS = '123456789';
let classOrder = [];
let shown = false;

// Typing a sample ID or a target must never reclassify a cell.
function typingIn(target) {
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function initInspector({ onAssign, onExclude, onConfirm }) {
  element('class-buttons').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-assign]');
    if (button) onAssign(button.dataset.assign);
  });
  element('exclude-cell').addEventListener('click', () => onExclude());
  element('confirm-cell').addEventListener('click', () => onConfirm());
  document.addEventListener('keydown', (event) => {
    if (!shown || event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typingIn(event.target)
      || document.querySelector('dialog[open]')) return;
    const index = KEYS.indexOf(event.key);
    if (event.key.length === 1 && index >= 0 && index < classOrder.length) {
      event.preventDefault();
      onAssign(classOrder[index]);
    } else if (['0', 'x', 'X'].includes(event.key)) {
      event.preventDefault();
      onExclude();
    } else if (event.key === 'Enter' && !event.target.closest('button:not(.cell), a, summary')) {
      event.preventDefault();  // on another focused button, Enter is that button's click; on a cell's box it confirms
      onConfirm();
    }
  });
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
    button.append(label(name));
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

function stateLine(cell) {
  if (cell.excluded) return 'Marked "not a cell": not counted.';
  if (isCorrected(cell)) return `Corrected to ${lower(cell.assigned)}: counted as ${lower(cell.assigned)}.`;
  if (awaitsReview(cell)) return 'Needs review: the network is unsure. Press the number of the right class.';
  if (isChecked(cell)) return 'Checked: the network\'s class was confirmed.';
  return 'Counted as the network says.';
}

export function showCell(photo, cell) {
  shown = true;
  element('inspector-empty').hidden = true;
  element('inspector-cell').hidden = false;
  element('inspector-where').textContent = `Photo ${photo.position} (${photo.name}), cell ${cell.number} of ${photo.cells.length}`;
  const canvas = element('inspector-crop');
  drawInput(canvas, cell.input);
  const { width, height } = cell.input;
  canvas.setAttribute('aria-label', `What the network saw: the ${width} by ${height} pixel input for cell ${cell.number}`);
  element('inspector-verdict').textContent = `The network says: ${modelSays(cell)}`;
  element('inspector-state').textContent = stateLine(cell);
  element('inspector-state').dataset.state = cell.excluded ? 'excluded' : isCorrected(cell) ? 'corrected'
    : awaitsReview(cell) ? 'review' : 'counted';
  element('inspector-edge').hidden = !cell.touchesEdge;
  element('inspector-bars').replaceChildren(probabilityBars(cell.probabilities));
  for (const button of element('class-buttons').children) {
    button.setAttribute('aria-pressed', String(!cell.excluded && button.dataset.assign === finalClass(cell)));
  }
  const exclude = element('exclude-cell');
  exclude.setAttribute('aria-pressed', String(cell.excluded));
  exclude.lastChild.textContent = cell.excluded ? ' Count it again' : ' Not a cell';
  paintClass(element('inspector-crop-frame'), finalClass(cell));
}

export function showNoCell() {
  shown = false;
  element('inspector-empty').hidden = false;
  element('inspector-cell').hidden = true;
}
