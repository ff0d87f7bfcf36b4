# Thin wrapper around Meson. `make run` and `make test` are the two set-up commands of the README: both
# install the missing Debian packages first, so they work on a fresh Debian 12 machine (as root).
BUILD      ?= build
TESTBUILD  ?= build-test
PREFIX     ?= /usr/local
DATA_DIR   ?= /var/lib/coracle
KUBECONFIG_OUT ?= /etc/coracle/coracle.yaml
RUN_FLAGS  ?=

.PHONY: all build deps run test unit e2e format-check install clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized -Dtests=false

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: deps build
	@echo "coracle: starting a single-node cluster; kubeconfig at $(KUBECONFIG_OUT)"
	@echo "coracle: in another shell: export KUBECONFIG=$(KUBECONFIG_OUT); kubectl get all -A"
	$(BUILD)/coracle server --data-dir $(DATA_DIR) --write-kubeconfig $(KUBECONFIG_OUT) $(RUN_FLAGS)

# The test build: ASan+UBSan (any report fails), warnings are errors.
$(TESTBUILD)/build.ninja:
	meson setup $(TESTBUILD) --buildtype=debug -Db_sanitize=address,undefined -Dwerror=true \
	  -Dc_args=-fno-sanitize-recover=all -Dtests=true

test: deps format-check $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(TESTBUILD) --suite unit --print-errorlogs
	CORACLE_BIN=$(CURDIR)/$(TESTBUILD)/coracle /usr/bin/python3 -m pytest -q tests/e2e

unit: $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD)
	meson test -C $(TESTBUILD) --suite unit --print-errorlogs

e2e: $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD)
	CORACLE_BIN=$(CURDIR)/$(TESTBUILD)/coracle /usr/bin/python3 -m pytest -q tests/e2e $(PYTEST_ARGS)

format-check:
	@scripts/format-check.sh

install: build
	install -D -m 0755 $(BUILD)/coracle $(DESTDIR)$(PREFIX)/bin/coracle
	install -D -m 0755 $(BUILD)/coracle-shim $(DESTDIR)$(PREFIX)/bin/coracle-shim

clean:
	rm -rf $(BUILD) $(TESTBUILD)
