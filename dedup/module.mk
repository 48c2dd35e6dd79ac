# dedup/: URL normalisation, exact dedup, MinHash-LSH, n-gram decontamination.
PKGS +=
