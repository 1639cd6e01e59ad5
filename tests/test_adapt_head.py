"""web/js/adapt-head.js under Node with the vendored TensorFlow.js: the re-fitted output layer learns what the
reviewed cells say, keeps what the replay set says, and is measured on cells it was not fitted to."""
import json

from tests.conftest import REPO
from tests.js_runner import run_module_script

TFJS = REPO / "web" / "vendor" / "tfjs" / "tf.min.js"

# Three classes in 4 dimensions: class c's cells sit near 3 * unit vector c. The "shipped" layer knows
# classes 0 and 1 but takes class 2 for class 0 (as a model does on a new microscope); the reviewed cells
# are of classes 0 and 2 only; the replay set holds classes 0 and 1.
SCRIPT = """
import { createRequire } from 'node:module';
globalThis.tf = createRequire(import.meta.url)(%s);
const H = await import('./adapt-head.js');
await tf.setBackend('cpu');
let state = 3;
const noise = () => { state = (Math.imul(state, 1664525) + 1013904223) >>> 0; return (state / 2 ** 32 - 0.5) * 0.6; };
const cells = (classes, each) => {
  const x = []; const y = [];
  for (const c of classes) for (let i = 0; i < each; i += 1) { for (let d = 0; d < 4; d += 1) x.push((d === c ? 3 : 0) + noise()); y.push(c); }
  return { x: Float32Array.from(x), y: Int32Array.from(y) };
};
const kernel = new Float32Array(12); kernel[0 * 3 + 0] = 2; kernel[1 * 3 + 1] = 2; kernel[2 * 3 + 0] = 2;
const base = { kernel, bias: new Float32Array(3) };
const reviewed = cells([0, 2], 12);
const replay = cells([0, 1], 12);
const test = cells([0, 1, 2], 20);
const result = H.adaptHead({ features: reviewed.x, labels: reviewed.y, dim: 4, base,
  replay: { features: replay.x, labels: replay.y, count: replay.y.length }, settings: { steps: 150, learningRate: 0.05 } });
const noReplay = H.refitHead({ features: reviewed.x, labels: reviewed.y, dim: 4, base, replay: null, settings: { steps: 150, learningRate: 0.05, pull: 0 } });
const recall = (head, c) => { const p = H.predictHead(test.x, 4, head); let n = 0, k = 0; test.y.forEach((t, i) => { if (t === c) { n += 1; k += p[i] === c; } }); return k / n; };
console.log(JSON.stringify({
  before: result.before, after: result.after, heldOut: result.heldOut,
  shipped: [0, 1, 2].map((c) => recall(base, c)), adapted: [0, 1, 2].map((c) => recall(result.head, c)),
  withoutReplay: [0, 1, 2].map((c) => recall(noReplay, c)),
  prototype: [0, 1, 2].map((c) => recall(H.prototypeHead({ features: reviewed.x, labels: reviewed.y, dim: 4, base,
    replay: { features: replay.x, labels: replay.y, count: replay.y.length } }), c)),
  blend: [0, 1, 2].map((c) => recall(H.fitHead({ features: reviewed.x, labels: reviewed.y, dim: 4, base,
    replay: { features: replay.x, labels: replay.y, count: replay.y.length }, settings: { head: 'blend', steps: 150, learningRate: 0.05 } }), c)),
  balanced: H.balancedAccuracy(Int32Array.from([0, 0, 1, 1, 1]), Int32Array.from([0, 1, 1, 1, 1])),
}));
"""


def test_the_refitted_layer_learns_the_reviewed_classes_and_the_replay_set_keeps_the_others(tmp_path):
    out = json.loads(run_module_script(tmp_path, SCRIPT % json.dumps(str(TFJS))))
    assert out["shipped"] == [1, 1, 0]
    assert out["adapted"] == [1, 1, 1]
    assert out["withoutReplay"][1] < out["adapted"][1], "without the replay set it forgets some of the class nobody reviewed"
    assert out["prototype"] == [1, 1, 1]
    assert out["blend"] == [1, 1, 1]
    assert out["before"] == 0.5 and out["after"] == 1 and out["heldOut"] == 24
    assert out["balanced"] == (1 / 1 + 3 / 4) / 2  # class 0: 1 of 1 right; class 1: 3 of 4
