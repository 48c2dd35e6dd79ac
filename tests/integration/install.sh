#!/usr/bin/env bash
# `make install PREFIX=…` installs the program, the library, the headers and mathmine.pc, and a
# program built with `pkg-config mathmine` against the installed library reads a WARC.
source "$(dirname "$0")/../lib.sh"

env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRC" BUILD="${MM_BUILD:-build}" install PREFIX="$T/inst" >"$T/install.log" 2>&1
same "make install exits 0" "$?" 0
for f in bin/mathmine lib/libmathmine.a lib/libmathmine.so lib/pkgconfig/mathmine.pc \
         include/mathmine/corpus/warc.h include/mathmine/common/error.h; do
  [ -e "$T/inst/$f" ] && ok "installed $f" || fail "installed $f"
done
"$T/inst/bin/mathmine" --version | grep -q mathmine && ok "installed program runs" || fail "installed program runs"
export PKG_CONFIG_PATH=$T/inst/lib/pkgconfig
gcc -o "$T/count" "$SRC/tests/fixtures/install/count_records.c" $(pkg-config --cflags mathmine) \
    "$T/inst/lib/libmathmine.so" -Wl,-rpath,"$T/inst/lib" >"$T/cc.log" 2>&1
same "a program compiles against the installed headers (pkg-config)" "$?" 0
[ -x "$T/count" ] || cat "$T/cc.log"
W=$SHARED/testdata/warcio/test/data/example.warc.gz
same "it reads warcio's example.warc.gz through the installed library, as mathmine warc ls does" \
    "$("$T/count" "$W" 2>&1)" "$("$MM" warc ls "$W" | wc -l)"
finish
