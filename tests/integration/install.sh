#!/usr/bin/env bash
# `make install PREFIX=…` installs the program, the library, the headers, mathmine.pc, the bash
# completion and a man page per command, and a
# program built with `pkg-config mathmine` against the installed library reads a WARC.
source "$(dirname "$0")/../lib.sh"

env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRC" BUILD="${MM_BUILD:-build}" install PREFIX="$T/inst" >"$T/install.log" 2>&1
same "make install exits 0" "$?" 0
for f in bin/mathmine lib/libmathmine.a lib/libmathmine.so lib/pkgconfig/mathmine.pc \
         include/mathmine/corpus/warc.h include/mathmine/common/error.h; do
  [ -e "$T/inst/$f" ] && ok "installed $f" || fail "installed $f"
done
"$T/inst/bin/mathmine" --version | grep -q mathmine && ok "installed program runs" || fail "installed program runs"
# bash completion and man pages, generated from --help (tools/gen_docs.sh)
C=$T/inst/share/bash-completion/completions/mathmine
[ -s "$C" ] && ok "installed the bash completion" || fail "installed the bash completion"
comp() { bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mathmine; echo "${COMPREPLY[*]}"' _ "$C" "$@"; }
same "completion: commands" "$(comp mathmine rep)" "report"
same "completion: subcommands" "$(comp mathmine dedup m)" "minhash"
[[ " $(comp mathmine extract --st) " == *" --stats "* ]] && ok "completion: a command's options" || fail "completion: options: $(comp mathmine extract --st)"
[[ " $(comp mathmine classify score --) " == *" --out-dir "* ]] && ok "completion: a subcommand's options" || fail "completion: subcommand options"
n=$(ls "$T/inst/share/man/man1" | wc -l)
[ "$n" -ge 17 ] && ok "a man page per command ($n)" || fail "a man page per command ($n)"
grep -q -- "--min-chars" "$T/inst/share/man/man1/mathmine-extract.1" && ok "man page carries the --help text" || fail "man page carries the --help text"
if command -v man >/dev/null; then
  MANWIDTH=100 man -l "$T/inst/share/man/man1/mathmine-report.1" 2>"$T/man.err" | grep -q "Inline CSS and SVG" \
    && [ ! -s "$T/man.err" ] && ok "man renders mathmine-report(1) without warnings" || { fail "man renders"; head -3 "$T/man.err"; }
fi
export PKG_CONFIG_PATH=$T/inst/lib/pkgconfig
gcc -o "$T/count" "$SRC/tests/fixtures/install/count_records.c" $(pkg-config --cflags mathmine) \
    "$T/inst/lib/libmathmine.so" -Wl,-rpath,"$T/inst/lib" >"$T/cc.log" 2>&1
same "a program compiles against the installed headers (pkg-config)" "$?" 0
[ -x "$T/count" ] || cat "$T/cc.log"
W=$SHARED/testdata/warcio/test/data/example.warc.gz
same "it reads warcio's example.warc.gz through the installed library, as mathmine warc ls does" \
    "$("$T/count" "$W" 2>&1)" "$("$MM" warc ls "$W" | wc -l)"
finish
