// Model versions saved in this browser, so the page classifies without a network.
// One Cache Storage cache per version, named by the version (a hash of the model's files), holding
// its metadata.json, model.json and weight shards under their versioned URLs. Only the page writes
// here, and only files it has checked against metadata.json and loaded: a damaged download can never
// replace a good copy. metadata.json is stored last and marks the version complete; other versions
// are deleted only after that (and only if published earlier), so an interrupted save leaves the
// previous complete model in place.
// Cache Storage exists only in secure contexts (https, localhost): elsewhere nothing is saved.

const PREFIX = 'leukolens-model ';
const cacheName = (entry) => `${PREFIX}${entry.name} ${entry.version}`;

export const available = () => typeof caches !== 'undefined';

// The saved copy of this index entry's version (possibly incomplete: every file is checked on reading), or null.
export async function open(entry) {
  if (!available()) return null;
  try {
    return (await caches.has(cacheName(entry))) ? await caches.open(cacheName(entry)) : null;
  } catch (error) {
    return null;  // storage blocked or broken: read from the server instead
  }
}

// Saves a checked version (files: name -> bytes, metadata.json among them) and then drops older ones.
// A version published later than this one is kept: another tab may have just saved it while this
// tab was still working from the previous model list.
// Resolves to true once saved, false when this browser cannot save it.
export async function save(entry, base, files) {
  if (!available()) return false;
  try {
    const cache = await caches.open(cacheName(entry));
    const names = [...files.keys()].filter((name) => name !== 'metadata.json').concat('metadata.json');
    for (const name of names) await cache.put(base + name, new Response(files.get(name)));
  } catch (error) {
    return false;  // storage full or blocked: the page still works online
  }
  await dropOlder(entry);
  return true;
}

// Deletes the saved versions published before this one (and incomplete ones), keeping later ones.
export async function dropOlder(entry) {
  if (!available()) return;
  try {
    for (const name of await caches.keys()) {
      if (!name.startsWith(PREFIX) || name === cacheName(entry)) continue;
      const saved = await savedVersion(await caches.open(name));
      if (!saved || saved.created <= (entry.created || '')) await caches.delete(name);
    }
  } catch (error) {
    // Storage blocked: the old copies stay, which costs space and nothing else.
  }
}

// {name, version, path, created} of a complete saved version (its metadata.json is stored last), or null.
async function savedVersion(cache) {
  const key = (await cache.keys()).find((request) => request.url.endsWith('/metadata.json'));
  const metadata = key && await (await cache.match(key)).json().catch(() => null);
  const path = key && new URL(key.url).pathname.match(/\/models\/(.+\/)metadata\.json$/);
  if (!metadata || !path) return null;
  return { name: metadata.name, version: metadata.version, path: path[1], created: metadata.created || '' };
}

// The complete saved version to use when the default one cannot load: the newest other than `except`.
export async function latest(except) {
  if (!available()) return null;
  const found = [];
  try {
    for (const name of await caches.keys()) {
      if (!name.startsWith(PREFIX) || (except && name === cacheName(except))) continue;
      const saved = await savedVersion(await caches.open(name));
      if (saved) found.push(saved);
    }
  } catch (error) {
    return null;
  }
  return found.sort((a, b) => (a.created < b.created ? 1 : -1))[0] || null;
}
