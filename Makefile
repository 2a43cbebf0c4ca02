# Two commands from a fresh clone:
#   make song        installs into .venv and writes the song: MIDI, score, audio (results/...)
#   make test        runs the linters and every test
#   make test-fast   the linters and the tests but the slow ones (a few minutes)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every core of the machine (CORES=2 uses fewer); training runs with `training.threads` whatever
# the cores, so every machine trains the same model.
CORES ?= all
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: song chorale song_harmonised quartet song_quartet motet test test-fast lint pytest pytest-fast report system-packages \
  clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The pinned packages, then the workflow's own library (editable: edits take effect at once).
$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(PIP) -r requirements.txt
	$(PIP) --no-build-isolation --editable .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) -r requirements-dev.txt
	touch $@

# A generated piece as a musician opens it: MIDI, the score (MusicXML and SVG) and the audio
# (FluidSynth where it and a soundfont are installed, else the built-in synthesiser).
piece = results/generated/$(1).mid results/scores/$(1).musicxml results/scores/$(1).svg \
  results/audio/$(1).wav

song: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) $(call piece,song) results/evaluation/metrics.json
	@$(BIN)/python -m musiclstm.where song
	@echo "tokens: $$(cat results/generated/song.txt)"
	@$(BIN)/python -c 'import json; t = json.load(open("results/evaluation/metrics.json"))["test"]; \
	  print("test split: %.3f bits/step, %.3f bits/note" % (t["bits_per_step"], t["bits_per_note"]))'

# Four voices: Bach's chorales learnt, one composed (results/generated/chorale.mid, its score and
# audio), with the stages under results/chorale/.
chorale: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) $(call piece,chorale) \
	  results/chorale/evaluation/metrics.json --configfile config/chorale.yaml
	@$(BIN)/python -m musiclstm.where chorale
	@$(BIN)/python -c 'import json; t = json.load(open("results/chorale/evaluation/metrics.json")); \
	  c, b = t["test"]["chorale"], t["baseline"]["test"]; \
	  print("test chorales: %.3f nats/voice-step (%d-gram baseline %.3f), %.2f bits/frame" \
	        % (c["nats_per_voice_step"], t["baseline"]["order"], b["nats_per_voice_step"], c["bits_per_frame"]))'

# The song of `make song` harmonised in four voices by the chorale harmoniser.
song_harmonised: song
	$(BIN)/snakemake --cores $(CORES) $(call piece,song_harmonised) --configfile config/chorale.yaml
	@$(BIN)/python -m musiclstm.where song_harmonised

# Chamber music from the scores inside music21, each with its stages under its own results
# directory: a string quartet (results/generated/quartet.mid), the song of `make song` arranged
# for it (song_quartet), and a five-voice piece in Palestrina's style (motet).
ensemble_metrics = $(BIN)/python -c 'import json, sys; t = json.load(open(sys.argv[1])); \
  c, b = t["test"]["chorale"], t["baseline"]["test"]; \
  print("held-out test: %.3f nats/voice-step (%d-gram baseline %.3f), %.2f bits/onset" \
        % (c["nats_per_voice_step"], t["baseline"]["order"], b["nats_per_voice_step"], c["bits_per_onset"]))'

quartet: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) $(call piece,quartet) \
	  results/quartet/evaluation/metrics.json --configfile config/quartet.yaml
	@$(BIN)/python -m musiclstm.where quartet
	@$(ensemble_metrics) results/quartet/evaluation/metrics.json

song_quartet: song
	$(BIN)/snakemake --cores $(CORES) $(call piece,song_quartet) --configfile config/quartet.yaml
	@$(BIN)/python -m musiclstm.where song_quartet

motet: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) $(call piece,motet) \
	  results/motet/evaluation/metrics.json --configfile config/motet.yaml
	@$(BIN)/python -m musiclstm.where motet
	@$(ensemble_metrics) results/motet/evaluation/metrics.json

report: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --report report.html
	@echo "report.html: open it in a browser"

# Debian packages (run as root): FluidSynth and a General MIDI soundfont play the songs (without
# them the built-in synthesiser does), Chromium opens the report in the tests, and a
# Times-compatible font sets the scores' text as verovio measured it. Slurm and munge: the tests
# start a one-node Slurm cluster and run the workflow through profiles/slurm.
SYSTEM_PACKAGES := fluidsynth timgm6mb-soundfont chromium fonts-liberation2 slurm-wlm munge

system-packages:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES)

test: lint pytest

# Without the tests marked slow (the real workflow, training for more than a second or two, Slurm,
# Chromium): a few minutes on 2 cores.
test-fast: lint pytest-fast

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest -q tests

pytest-fast: $(VENV)/.installed-dev
	$(BIN)/pytest -q -m "not slow" tests

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check workflow tests benchmarks
	$(BIN)/ruff format --check workflow tests benchmarks
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint --cores 1 >/dev/null

clean:
	rm -rf results logs .snakemake
