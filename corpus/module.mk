# corpus/: WARC reader, HTTP payload decoding, charsets, HTML -> text, language ID, URLs, iterate.
PKGS += libarchive-dev libdeflate-dev libdeflate-tools libisal-dev zlib1g-dev libcurl4-openssl-dev \
        libbrotli-dev libssl-dev liblz4-dev libxml2-dev libcld2-dev libpsl-dev libuchardet-dev
PC   += libarchive libdeflate libisal zlib libcurl libbrotlidec libcrypto libxml-2.0 libpsl uchardet
LDLIBS_EXTRA += -lcld2
PC   += libbrotlienc # test_http encodes br bodies; the reader only decodes
