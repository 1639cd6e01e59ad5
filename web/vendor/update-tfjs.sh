#!/usr/bin/env bash
# Re-vendor TensorFlow.js so the page needs no network. Usage: web/vendor/update-tfjs.sh [VERSION]
# Fetches the packages from the npm registry with `npm pack`, copies the browser builds and the
# WASM binaries into web/vendor/tfjs/, and records the version and SHA-256 of every file.
set -euo pipefail
version=${1:-4.22.0}
dest=$(cd "$(dirname "$0")" && pwd)/tfjs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@tensorflow/tfjs@$version" "@tensorflow/tfjs-backend-wasm@$version" >/dev/null
mkdir tfjs wasm
tar xzf "tensorflow-tfjs-$version.tgz" -C tfjs
tar xzf "tensorflow-tfjs-backend-wasm-$version.tgz" -C wasm
mkdir -p "$dest.new"
cp tfjs/package/dist/tf.min.js wasm/package/dist/tf-backend-wasm.min.js wasm/package/dist/*.wasm "$dest.new/"
cp /usr/share/common-licenses/Apache-2.0 "$dest.new/LICENSE" 2>/dev/null || \
  echo "Apache-2.0: https://www.apache.org/licenses/LICENSE-2.0" > "$dest.new/LICENSE"
echo "$version" > "$dest.new/VERSION"
(cd "$dest.new" && sha256sum tf.min.js tf-backend-wasm.min.js ./*.wasm > SHA256SUMS)
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "vendored TensorFlow.js $version into $dest"
