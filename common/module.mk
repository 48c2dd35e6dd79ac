PKGS += libzstd-dev libxxhash-dev zlib1g-dev
PC   += libzstd libxxhash zlib
