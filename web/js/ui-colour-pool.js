// The sample's "one microscope" option (colour-pool.js), the report's colour balance and each photo card's
// balance: its white point as a data attribute, and a note when it keeps an earlier balance.
import { element, make } from './ui-parts.js';
import { keptNote, usedWhitePoint } from './colour-pool.js';

export function initPoolOption(onChange) {
  element('pool-colour').addEventListener('change', (event) => onChange(event.target.checked));
}

// The checkbox as the sample has it (read-only once signed off), and the balance as the report states it.
export function showPool({ on, signed, text }) {
  const box = element('pool-colour');
  box.checked = Boolean(on);
  box.disabled = Boolean(signed);
  element('report-colour').textContent = text;
}

// Marks a photo's card with the white point its colour was balanced by, and says when it keeps an earlier one.
export function markBalance(card, photo) {
  const used = usedWhitePoint(photo);
  if (used) card.dataset.whitePoint = used;
  card.dataset.colourKept = String(Boolean(photo.colourKept));
  const note = keptNote(photo);
  const about = card.querySelector('.about');
  if (note && about) about.append(make('p', 'note colour-kept', note));
}
