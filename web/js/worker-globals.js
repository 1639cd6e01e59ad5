// The worker's twin of tfjs-globals.js: imported before tf.min.js, for the same reason.
self.regeneratorRuntime = undefined;
