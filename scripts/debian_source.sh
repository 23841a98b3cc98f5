#!/usr/bin/env bash
# Unpacks Debian's source package PACKAGE into DEST/PACKAGE (apt-get source: Debian's
# pristine source with Debian's patches applied), once; later runs reuse it. The build
# compiles third-party code from here and never from the repository.
#
#   scripts/debian_source.sh PACKAGE DEST
#
# apt-get source needs a deb-src entry; scripts/setup.sh adds one when there is none.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 PACKAGE DEST" >&2; exit 2; }
package=$1 dest=$2
[[ -f $dest/$package/.unpacked ]] && exit 0

mkdir -p "$dest"
work=$(mktemp -d "$dest/.$package.XXXXXX")
trap 'rm -rf "$work"' EXIT
# As root, apt warns that its _apt user cannot write here; the download is the same.
if ! (cd "$work" && apt-get source -qq "$package" >log 2>&1); then
    echo "cannot get Debian's source package $package (apt-get source $package):" \
        "$(grep -m1 '^E:' "$work/log" || tail -n1 "$work/log"); scripts/setup.sh adds the deb-src entry it needs" >&2
    exit 1
fi
unpacked=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
[[ -n $unpacked ]] || { echo "apt-get source $package unpacked nothing" >&2; exit 1; }
rm -rf "${dest:?}/$package"
mv "$unpacked" "$dest/$package"
touch "$dest/$package/.unpacked"
