# rl/: tokenizer, token shards, GPT-2 on OpenBLAS, pretrainer, sampler, GRPO.
PKGS += libopenblas-dev python3-torch python3-numpy python3-regex
PC   += openblas
