// Each class's colour and short letter: boxes, tags, legend, buttons and table agree. No DOM.
// Colours are Okabe and Ito's set, chosen to stay apart for colour-blind readers too, and each tag also
// carries the class's letter, so no two classes are ever told apart by colour alone. Yellow is left out:
// it marks the cells awaiting review.
const OKABE_ITO = {
  blue: '#0072b2', bluishGreen: '#009e73', reddishPurple: '#cc79a7', orange: '#e69f00', black: '#000000',
  vermillion: '#d55e00', skyBlue: '#56b4e9',
  grey: '#666666',  // darker than their grey (#999999), which reddish purple resembles to deuteranopes
};

// The classes clinics count, with what a technologist writes for them. Classes often seen side by side
// on one smear (neutrophil, lymphocyte, monocyte, eosinophil) get the colours furthest apart.
const KNOWN = {
  NEUTROPHIL: [OKABE_ITO.blue, 'N'],
  LYMPHOCYTE: [OKABE_ITO.bluishGreen, 'L'],
  MONOCYTE: [OKABE_ITO.reddishPurple, 'M'],
  EOSINOPHIL: [OKABE_ITO.orange, 'E'],
  BASOPHIL: [OKABE_ITO.black, 'B'],
  IG: [OKABE_ITO.vermillion, 'IG'],
  ERYTHROBLAST: [OKABE_ITO.skyBlue, 'NR'],
  PLATELET: [OKABE_ITO.grey, 'P'],
};

const SPARE = Object.values(OKABE_ITO);

// A letter for a class no table names (another lab's model): its first letters, as many as make it unique.
function letterFor(name, taken) {
  const word = name.toUpperCase().replace(/[^A-Z0-9]/g, '') || 'C';
  for (let length = 1; length <= word.length; length += 1) {
    if (!taken.has(word.slice(0, length))) return word.slice(0, length);
  }
  let n = 2;
  while (taken.has(`${word}${n}`)) n += 1;
  return `${word}${n}`;
}

// Map of class -> { colour, letter } for the classes in this order. Known classes keep their colour
// whatever the model; others take the colours no known class of this order uses, in turn.
export function classPalette(order) {
  const palette = new Map();
  const taken = new Set(order.filter((name) => KNOWN[name]).map((name) => KNOWN[name][1]));
  const used = new Set(order.filter((name) => KNOWN[name]).map((name) => KNOWN[name][0]));
  const free = [...SPARE.filter((colour) => !used.has(colour)), ...SPARE];
  let next = 0;
  for (const name of order) {
    if (KNOWN[name]) {
      palette.set(name, { colour: KNOWN[name][0], letter: KNOWN[name][1] });
    } else {
      const letter = letterFor(name, taken);
      taken.add(letter);
      palette.set(name, { colour: free[next % free.length], letter });
      next += 1;
    }
  }
  return palette;
}
