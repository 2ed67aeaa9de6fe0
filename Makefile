# Two commands on a fresh machine:  make demo  (grade the sample)  and  make test  (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test validate bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dask]'
	@# Bytecode for the kit's own modules, as pip writes it for installed packages: where PYTHONDONTWRITEBYTECODE
	@# is set, Python would otherwise compile them again in every command (~0.1 s of each).
	$(BIN)/python -m compileall -q gradekit
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python cli.py grade samples/typical_student --out graded/typical_student
	@echo "Read the feedback: graded/typical_student/feedback.md"

test: $(STAMP)
	@# One file to a worker process: a file's module fixtures (an nbgrader course, a graded class) are built once.
	$(BIN)/python -m pytest -q -n auto --dist loadfile
	$(BIN)/python cli.py validate

validate: $(STAMP)
	$(BIN)/python cli.py validate

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/grade_one.py
	$(BIN)/python bench/grade_class.py
	$(BIN)/python bench/profile_submission.py
	$(BIN)/python bench/nbgrader_vs_kit.py

clean:
	rm -rf $(VENV) graded
