# classifier/: fastText through a C wrapper, and our own fastText-compatible scorer.
PKGS += libfasttext-dev fasttext
LDLIBS_EXTRA += -lfasttext
