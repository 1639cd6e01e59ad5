// Loaded before tf.min.js. Its bundled regenerator-runtime assigns the global `regeneratorRuntime`;
// in strict mode that throws unless the global exists, and the fallback is Function(...), an eval
// the page's Content-Security-Policy rightly forbids. Declaring it here keeps the CSP strict.
window.regeneratorRuntime = undefined;
