PKGS += libzstd-dev libxxhash-dev
PC   += libzstd libxxhash
