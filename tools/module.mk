# tools/: packages the demo, benches and integration tests use (sample web, peers).
PKGS +=
