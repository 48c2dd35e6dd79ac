# tools/: packages the demo, benches and integration tests use (sample web, peers).
# The sample web (tools/sampleweb/, docs/sampleweb.md): Debian documentation packages whose HTML
# the small (tests) and default (demo) sets serve and crawl, and psl to check registered domains.
# Packages only the --big set needs are installed by tools/sampleweb/build.sh --big itself.
PKGS += python-mpmath-doc libflint-arb-doc libeigen3-doc python-cvxopt-doc maxima-doc octave-doc \
        gap-doc libflint-doc git-doc sqlite3-doc python-django-doc python-flask-doc \
        postgresql-doc-15 python3.11-doc psl

# `mathmine --version` (tools/version.c): fastText has no version call, so its Debian package
# version is recorded when the file is compiled.
FASTTEXT_PKG := $(shell dpkg-query -W -f='$${Version}' libfasttext0 2>/dev/null)
$(BUILD)/rel/tools/version.o $(BUILD)/asan/tools/version.o $(BUILD)/fuzz/tools/version.o: \
  CFLAGS += -DMM_FASTTEXT_PKG='"$(FASTTEXT_PKG)"'
