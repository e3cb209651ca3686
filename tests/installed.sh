# Sourced by the tests of the installed library: installs the build tree
# into a temporary directory (meson install --destdir), as a user's
# `meson install` would, and points pkg-config, the dynamic linker and
# GObject Introspection at what was installed there, and nowhere else.
#   . installed.sh BUILD-DIR
# Sets: work (temporary, removed on exit), dest (the install root),
# PKG_CONFIG_PATH, LD_LIBRARY_PATH, GI_TYPELIB_PATH.
build=$1
work=$(mktemp -d)
cleanup() { [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
dest=$work/root
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet > "$work/install.log" 2>&1 ||
  { cat "$work/install.log"; echo "meson install failed"; exit 1; }

pc=$(find "$dest" -name groupy.pc | head -n 1)
[ -n "$pc" ] || { echo "groupy.pc was not installed"; exit 1; }
# The .pc file names the configured prefix; under --destdir the files sit
# below $dest, so the copy used here says so (what a relocated install is).
prefix=$(sed -n 's/^prefix=//p' "$pc")
mkdir -p "$work/pkgconfig"
sed "s|^prefix=.*|prefix=$dest$prefix|" "$pc" > "$work/pkgconfig/groupy.pc"
export PKG_CONFIG_PATH="$work/pkgconfig"
libdir=$(pkg-config --variable=libdir groupy)
export LD_LIBRARY_PATH="$libdir"
export GI_TYPELIB_PATH="$libdir/girepository-1.0"
