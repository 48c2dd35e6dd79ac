# corpus/: WARC reader, HTTP payload decoding, charsets, HTML -> text, language ID, URLs, iterate.
PKGS += libarchive-dev libdeflate-dev libdeflate-tools libisal-dev zlib1g-dev libcurl4-openssl-dev \
        libbrotli-dev libssl-dev liblz4-dev libxml2-dev libcld2-dev libpsl-dev libuchardet-dev
PC   += libarchive libdeflate libisal zlib libbrotlidec libcrypto libxml-2.0 libpsl uchardet
LDLIBS_EXTRA += -lcld2
# libcurl: its headers at build time, the library dlopen'ed by corpus/curl_dl.c for URL inputs only
PC_HEADERS += libcurl
PC   += libbrotlienc # test_http encodes br bodies; the reader only decodes
# extract: the system's public suffix list (newer than libpsl's built-in one); the peers that
# tools/bench/bench_extract.sh and tests/integration/extract_score.py compare against; GNU time
# for the bench's peak-RSS column; iconv (libc-bin) and wget for tests/integration/extract_warc.sh.
PKGS += publicsuffix python3-readability python3-html2text python3-lxml time libc-bin
