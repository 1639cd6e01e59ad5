// The service worker: after one visit, the page opens without a network.
//
// It keeps the page shell (SHELL) and models/index.json in one cache. It never stores model files:
// the page saves each model version itself (js/model-store.js), one cache per version, and only
// after checking every file against metadata.json, so nothing unchecked reaches the offline copy.
//
// Update policy: network first, the stored copy only when the server cannot be reached. The server
// asks browsers to revalidate every one of these files (Cache-Control: no-cache), so online the page
// is the server's current page on every load, exactly as without a service worker, and a new model
// list is seen at once; offline it is the last copy seen. Rejected alternatives: a cache name holding
// a version constant (someone must bump it on every change; forgotten once, visitors are stuck on
// the old page) and stale-while-revalidate (shows the old page once after every update, and can pair
// a new module with an old one within one load). The cost is one revalidation round trip per file
// online, which the page paid before this worker existed.

const CACHE = 'leukolens-shell';
const MODEL_LIST = 'models/index.json';
// Everything the page loads besides the model. Of TensorFlow.js's WASM files only the two the page can
// use: it turns multithreading off (model.js), so the threaded build is never fetched.
const SHELL = [
  './',
  'index.html',
  'style.css',
  'favicon.svg',
  'icon-192.png',
  'icon-512.png',
  'manifest.webmanifest',
  'js/adapt-head.js',
  'js/adapt-worker.js',
  'js/adapt.js',
  'js/analyse.js',
  'js/cell-extent.js',
  'js/colour-pool.js',
  'js/colour.js',
  'js/differential.js',
  'js/export.js',
  'js/facts.json',
  'js/familiarity.js',
  'js/finder.js',
  'js/image-file.js',
  'js/locate.js',
  'js/main.js',
  'js/metadata.schema.json',
  'js/model-files.js',
  'js/model-folder.js',
  'js/model-store.js',
  'js/model.js',
  'js/offline.js',
  'js/palette.js',
  'js/photo-cells.js',
  'js/preprocess.js',
  'js/reviewed-store.js',
  'js/sample-store.js',
  'js/sample.js',
  'js/schema.js',
  'js/sha256.js',
  'js/stained-pieces.js',
  'js/tfjs-globals.js',
  'js/ui-adapt.js',
  'js/ui-colour-pool.js',
  'js/ui-differential.js',
  'js/ui-inspector.js',
  'js/ui-parts.js',
  'js/ui-photos.js',
  'js/ui-samples.js',
  'js/ui.js',
  'js/worker-globals.js',
  'js/zip.js',
  'vendor/tfjs/tf.min.js',
  'vendor/tfjs/tf-backend-wasm.min.js',
  'vendor/tfjs/tfjs-backend-wasm-simd.wasm',
  'vendor/tfjs/tfjs-backend-wasm.wasm',
];

const absolute = (path) => new URL(path, self.registration.scope).href;
const KEPT = new Set([...SHELL, MODEL_LIST].map(absolute));

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // All or nothing: if one file fails, this worker is discarded and the page stays online-only.
    await cache.addAll(SHELL.map((path) => new Request(path, { cache: 'reload' })));
    // The model list as well, so that the first offline visit knows its model; none published yet is no failure.
    await cache.add(new Request(MODEL_LIST, { cache: 'reload' })).catch(() => {});
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Files a newer page no longer lists (a removed module) would otherwise stay forever.
    const cache = await caches.open(CACHE);
    for (const request of await cache.keys()) {
      if (!KEPT.has(request.url)) await cache.delete(request);
    }
    // Take over the page that registered this worker, so its first visit is already covered.
    await self.clients.claim();
  })());
});

// Which stored copy answers this request, or null for requests left to the network alone
// (model files, /healthz, other origins, anything not GET).
function storedKey(request) {
  if (request.method !== 'GET') return null;
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  if (request.mode === 'navigate' && (url.href === absolute('./') || url.href === absolute('index.html'))) {
    return absolute('./');
  }
  return KEPT.has(url.href) ? url.href : null;
}

async function networkFirst(event, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(event.request);
    // A proxy's 502 when the server is down means offline too.
    if (response.status < 500) {
      if (response.status === 200) event.waitUntil(cache.put(key, response.clone()));
      return response;
    }
    return (await cache.match(key)) || response;
  } catch (error) {
    const stored = await cache.match(key);
    if (stored) return stored;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const key = storedKey(event.request);
  if (key) event.respondWith(networkFirst(event, key));
});
