// Small pieces every part of the page's UI uses: wording of classes and probabilities, class colours,
// element making, share bars. DOM access happens only in the ui*.js modules.
import { awaitsReview, isCorrected, ranked } from './differential.js';
import { classPalette } from './palette.js';

export const element = (id) => document.getElementById(id);
export const percent = (p) => `${(100 * p).toFixed(1)}%`;
// A model's probability is never certainty: 0.9996 reads "> 99.9%", not "100.0%".
const probabilityText = (p) => (p >= 0.9995 ? '> 99.9%' : p > 0 && p < 0.0005 ? '< 0.1%' : percent(p));

// Names a clinic uses where the class name alone would not do.
const NAMES = { IG: 'Immature granulocyte', ERYTHROBLAST: 'Erythroblast' };
export const label = (name) => NAMES[name] || name.charAt(0) + name.slice(1).toLowerCase();
export const lower = (name) => (name === 'IG' ? 'immature granulocyte' : label(name).toLowerCase());
export const counted = (n, one, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

export function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

let palette = classPalette([]);

// Each class keeps its colour and letter while the page is open: boxes, legend, buttons and table agree.
export function setClassOrder(order) {
  palette = classPalette(order);
}

export function paintClass(node, name) {
  node.style.setProperty('--class-colour', (palette.get(name) || { colour: '#666666' }).colour);
}

export const classLetter = (name) => (palette.get(name) || { letter: '' }).letter;

// A labelled horizontal bar for a share between 0 and 1, with the text shown at its end.
function shareBar(name, share, text) {
  const bar = make('div', 'bar');
  const track = make('div', 'track');
  track.setAttribute('role', 'meter');
  track.setAttribute('aria-label', label(name));
  track.setAttribute('aria-valuemin', '0');
  track.setAttribute('aria-valuemax', '100');
  track.setAttribute('aria-valuenow', (100 * share).toFixed(1));
  const fill = make('div', 'fill');
  fill.style.width = percent(share);
  track.append(fill);
  bar.append(make('span', 'name', label(name)), track, make('span', 'value', text));
  return bar;
}

// Sorted probability bars, most probable first; with hooks, each bar carries data-class and
// data-probability (the photo card's main cell: what tests and the benchmark read).
export function probabilityBars(probabilities, { hooks = false } = {}) {
  const bars = make('div', 'bars');
  bars.append(...ranked(probabilities).map(([name, p]) => {
    const bar = shareBar(name, p, probabilityText(p));
    if (hooks) Object.assign(bar.dataset, { class: name, probability: String(p) });
    return bar;
  }));
  return bars;
}

// What the network said of a cell: its class, and the runner-up too whenever that has a real share
// (10% or more), so that a near tie never reads as a confident answer, flagged for review or not.
export function modelSays(cell) {
  const [[top, p], [second, q] = [null, 0]] = ranked(cell.probabilities);
  return q >= 0.1 ? `${label(top)} ${probabilityText(p)}, ${lower(second)} ${probabilityText(q)}` : `${label(top)} ${probabilityText(p)}`;
}

// How a cell reads in a heading or a box's label, with what a person decided about it.
export function cellVerdict(cell) {
  if (cell.excluded) return 'Not a cell (excluded)';
  if (isCorrected(cell)) {
    return `${label(cell.assigned)} (corrected; the network said ${lower(cell.modelClass)} ${probabilityText(cell.probability)})`;
  }
  if (awaitsReview(cell)) {
    const [[top, p], [second, q] = [null, 0]] = ranked(cell.probabilities);
    return `${label(top)} ${probabilityText(p)} or ${lower(second)} ${probabilityText(q)}? Needs review`;
  }
  return `${modelSays(cell)}${cell.assigned ? ' (checked)' : ''}`;
}
