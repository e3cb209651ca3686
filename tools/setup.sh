#!/usr/bin/env bash
# Installs what Groupy needs to build (Debian 12 packages) when it is
# missing, then configures and builds into ./build.  Run by tools/check,
# tools/demo and tools/bench; safe to run again (it only does what is left
# to do).  Arguments name further packages to install (tools/bench: the
# Corosync peer and gnuplot).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

packages=(meson ninja-build pkg-config gcc libglib2.0-dev libjson-glib-dev
          # the tests' hosts: network namespaces, a bridge, faults (tests/hosts.sh)
          iproute2 nftables
          # libgroupy's introspection data, reference and Python example
          gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0 python3-gi gi-docgen
          # TLS between members: GnuTLS for key pairs and secrets, and GIO's
          # TLS backend (without it a member with a secret cannot start)
          libgnutls28-dev glib-networking
          # the fuzzers' short runs in tools/check (clang brings libFuzzer)
          clang libclang-rt-dev
          # the window, its data files, and the GUI tests under Xvfb
          libgtk-4-dev libadwaita-1-dev gettext desktop-file-utils appstream xvfb xauth xdotool
          imagemagick tesseract-ocr x11-utils
          # what GTK needs at run time to start without a warning
          adwaita-icon-theme dconf-gsettings-backend libgl1-mesa-dri fonts-dejavu-core
          "$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "groupy: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build -Dwerror=true -Ddocs=true
fi
meson compile -C build
