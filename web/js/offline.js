// Offline use: registers the service worker (sw.js), which keeps the page itself for visits without
// a network; the model is kept by model-store.js. Service workers exist only in secure contexts
// (https, localhost, 127.0.0.1): opened over plain http from another computer, the page works as
// before, online only, and says so.

// Resolves when the page shell is stored (a service worker is active): 'ready', or 'unavailable'
// and why. Never rejects: without offline use the page must still work.
export async function startOfflineUse() {
  if (!window.isSecureContext || !('serviceWorker' in navigator)) {
    return { state: 'unavailable', why: 'needs an https:// address or this computer\'s own (localhost)' };
  }
  try {
    const registration = await navigator.serviceWorker.register('sw.js');
    if (registration.active || (await installed(registration.installing || registration.waiting))) {
      return { state: 'ready', why: null };
    }
  } catch (error) {
    // Blocked by the browser's settings, or sw.js could not be fetched: fall through.
  }
  return { state: 'unavailable', why: 'this browser could not store the page' };
}

// A worker that is installing becomes active (true) or is discarded (false, e.g. a file failed to download).
function installed(worker) {
  return new Promise((resolve) => {
    const settle = () => {
      if (!worker || worker.state === 'redundant') resolve(false);
      else if (worker.state === 'activated') resolve(true);
    };
    if (worker) worker.addEventListener('statechange', settle);
    settle();
  });
}
