#!/usr/bin/env bash
# Installs Keycloak (Maven Central org.keycloak:keycloak-quarkus-dist, a zip) into a
# project-local, git-ignored folder: .keycloak/keycloak-<version>/bin/kc.sh. Idempotent: a
# second run with the same version does nothing. The Keycloak tests (test/keycloak/) find it
# there, or wherever KEYCLOAK_HOME points.
#
# Keycloak 26 runs on Java 17 or later; JAVA_HOME is used when set, else `java` on PATH.
# 26.4 or later is needed for DPoP; the version is pinned so CI and developers run the same.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${KEYCLOAK_VERSION:-26.7.3}"
DEST=.keycloak
HOME_DIR="$DEST/keycloak-$VERSION"

if [ -x "$HOME_DIR/bin/kc.sh" ] && [ -f "$HOME_DIR/.installed" ]; then
  echo "keycloak $VERSION already installed in $HOME_DIR"
  exit 0
fi

# Maven (the Maven Central client), unzip and a Java 17+ runtime; installed from Debian when
# missing and this runs as root (CI), else named.
missing=()
command -v mvn >/dev/null || missing+=(maven)
command -v unzip >/dev/null || missing+=(unzip)
command -v java >/dev/null || [ -n "${JAVA_HOME:-}" ] || missing+=(openjdk-17-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup-keycloak: missing ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

mkdir -p "$DEST/download"
echo "fetching org.keycloak:keycloak-quarkus-dist:$VERSION (zip, ~200 MB) from Maven Central"
mvn -B -q dependency:copy \
  -Dartifact="org.keycloak:keycloak-quarkus-dist:$VERSION:zip" \
  -DoutputDirectory="$DEST/download" \
  -Dmdep.overWriteReleases=false
ZIP="$DEST/download/keycloak-quarkus-dist-$VERSION.zip"
[ -f "$ZIP" ] || { echo "setup-keycloak: $ZIP missing after mvn" >&2; exit 1; }

# Unpack into a temporary folder, then rename: an interrupted run never leaves a half install
# that the check above would take for a whole one.
rm -rf "$HOME_DIR" "$DEST/unpack"
mkdir -p "$DEST/unpack"
unzip -q "$ZIP" -d "$DEST/unpack"
mv "$DEST/unpack/keycloak-$VERSION" "$HOME_DIR"
rm -rf "$DEST/unpack" "$ZIP"
touch "$HOME_DIR/.installed"
"$HOME_DIR/bin/kc.sh" --version | head -n 1
