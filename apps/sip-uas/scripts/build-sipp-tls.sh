#!/usr/bin/env bash
# Builds a TLS-capable sipp from Debian's own source package of sip-tester and installs the
# binary as /usr/local/lib/aem-sipp-tls/sipp (AEM_SIPP_TLS_DIR overrides the folder). Debian's
# binary package is built without OpenSSL ("To use a TLS transport you must compile SIPp with
# OpenSSL"), so `sipp -t l1` cannot run with it; /usr/bin/sipp is left as it is.
#
# Steps: a deb-src entry for every `Types: deb` source apt already has (same URIs, suites and
# components, read from its own files: no host is written here), apt-get update, the build
# dependencies, apt-get source, then Debian's own cmake options (debian/rules) plus -DUSE_SSL=1,
# built with make -j2. Idempotent: nothing is done when the installed binary already says TLS in
# `sipp -v`. Needs root (apt-get). Compiling keeps both cores busy for about a minute: the
# caller takes the CPU lock (`flock /tmp/aem-cpu.lock apps/sip-uas/scripts/build-sipp-tls.sh`).
set -euo pipefail

dest="${AEM_SIPP_TLS_DIR:-/usr/local/lib/aem-sipp-tls}"
# `sipp -v` output, captured first: `grep -q` on a pipe would end sipp early with SIGPIPE,
# which pipefail reports as a failure.
says_tls() {
  local text
  text="$("$1" -v 2>&1 || true)"
  [[ "$text" == *"-TLS"* ]]
}
if [ -x "$dest/sipp" ] && says_tls "$dest/sipp"; then
  echo "== sipp with TLS already at $dest/sipp"
  exit 0
fi

# A deb-src twin of each deb source, written once: deb822 files (*.sources) get a stanza with
# `Types: deb-src` for every enabled stanza whose Types has `deb`; one-line files (*.list, and
# sources.list) a `deb-src` line for every `deb` line.
twin=/etc/apt/sources.list.d/aem-deb-src
if ! grep -rqsE '^[[:space:]]*(Types:(.*[[:space:]])?deb-src([[:space:]]|$)|deb-src[[:space:]])' \
  /etc/apt/sources.list /etc/apt/sources.list.d/; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Stanzas are separated by blank lines; comment lines are dropped.
    awk 'BEGIN { RS = ""; ORS = "" }
      {
        out = ""; deb = 0; n = split($0, lines, "\n")
        for (i = 1; i <= n; i++) {
          line = lines[i]
          if (line ~ /^[[:space:]]*#/) continue
          if (line ~ /^Types:/) {
            if (line ~ /[[:space:]]deb([[:space:]]|$)/) deb = 1
            line = "Types: deb-src"
          }
          if (line ~ /^Enabled:[[:space:]]*no/) deb = 0
          out = out line "\n"
        }
        if (deb) print out "\n"
      }' "$f"
  done >"$twin.sources.tmp"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n -E 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$f"
  done >"$twin.list.tmp"
  for ext in sources list; do
    if [ -s "$twin.$ext.tmp" ]; then
      mv "$twin.$ext.tmp" "$twin.$ext"
      echo "== wrote $twin.$ext"
    else
      rm -f "$twin.$ext.tmp"
    fi
  done
fi

# Not `apt-get build-dep`: Debian's source lists `Build-Conflicts: libssl-dev` (its package is
# deliberately built without TLS), so build-dep would remove the one library this build needs.
# Debian's Build-Depends less debhelper, plus OpenSSL.
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  cmake make g++ pkg-config libssl-dev libpcap-dev libncurses-dev libgsl-dev libsctp-dev \
  libnet1-dev dpkg-dev >/dev/null

work="$(mktemp -d /tmp/aem-sipp-tls.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# The sources: Debian's source package (upstream's release plus Debian's patches, unpacked by
# dpkg-source), or, where the archive does not serve it, the upstream tree named by
# SIPP_TLS_SOURCE (a folder holding sipp's CMakeLists.txt, e.g. `git archive v3.6.1` of sipp's
# repository: the release Debian packages).
src=""
if (cd "$work" && apt-get source -qq sip-tester >"$work/apt-source.log" 2>&1); then
  src="$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'sip-tester-*' | head -1)"
  echo "== Debian source package: $(basename "$src")"
elif [ -n "${SIPP_TLS_SOURCE:-}" ] && [ -f "$SIPP_TLS_SOURCE/CMakeLists.txt" ]; then
  echo "== apt-get source sip-tester failed ($(grep -m1 -E '^E:' "$work/apt-source.log" || true));"
  echo "== building from SIPP_TLS_SOURCE=$SIPP_TLS_SOURCE"
  cp -a "$SIPP_TLS_SOURCE" "$work/sipp"
  src="$work/sipp"
else
  echo "== cannot get sipp's sources: apt-get source sip-tester failed and SIPP_TLS_SOURCE is unset:" >&2
  cat "$work/apt-source.log" >&2
  exit 1
fi

# Debian's cmake options (debian/rules: SCTP, PCAP, GSL, as `sipp -v` of the Debian binary shows
# "-SCTP-PCAP-RTPSTREAM"), plus TLS.
options=(-DUSE_SCTP=1 -DUSE_PCAP=1 -DUSE_GSL=1)
if [ -f "$src/debian/rules" ]; then
  mapfile -t options < <(grep -oE -- '-DUSE_[A-Z]+=[0-9A-Za-z]+' "$src/debian/rules" | grep -v USE_SSL)
fi
options+=(-DUSE_SSL=1 -DCMAKE_BUILD_TYPE=RelWithDebInfo)

# Outside a git checkout sipp's build does not generate version.h (a release tarball ships it).
if [ ! -f "$src/include/version.h" ] && [ ! -d "$src/.git" ]; then
  version="$(sed -n -E 's/^project\(sipp.*VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt" | head -1)"
  [ -n "$version" ] || version="${SIPP_TLS_VERSION:-3.6.1}"
  printf '#define SIPP_VERSION VERSION\n#define VERSION "v%s"\n' "$version" >"$src/include/version.h"
fi

echo "== cmake ${options[*]}"
mkdir -p "$src/build"
(cd "$src/build" && cmake .. "${options[@]}" >"$work/cmake.log" 2>&1) || {
  cat "$work/cmake.log" >&2
  exit 1
}
echo "== make -j2 (about a minute on two cores)"
(cd "$src/build" && make -j2 sipp >"$work/make.log" 2>&1) || {
  tail -40 "$work/make.log" >&2
  exit 1
}
built="$src/build/sipp"
if ! says_tls "$built"; then
  echo "== the built sipp does not say TLS in sipp -v:" >&2
  "$built" -v >&2 || true
  exit 1
fi
install -D -m 0755 "$built" "$dest/sipp"
echo "== installed $dest/sipp: $("$dest/sipp" -v 2>&1 | sed -n -E 's/^ *(SIPp v[^ ]*[^ .])\.?$/\1/p')"
