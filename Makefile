# Two commands from a fresh machine: `make run` and `make test`.
# Everything else here is what those two are made of.

SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := .tools/bin/uv
RUN := $(UV) run --locked
PORT ?= 8000
DATA ?= data
export NO_MKDOCS_2_WARNING := 1
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test setup system system-run posters site serve lint typecheck bench package requirements clean
.PHONY: mutation deploy destroy outputs plan-deploy stage-given

STAGE ?=

run: setup system-run site serve ## build the site and posters, serve site + API on :8000

test: setup system site lint ## set up, lint, and run the whole suite
	$(RUN) pytest -n 2 --dist loadgroup

setup: .venv/.synced

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet
	@touch $@

system:
	@bash .ci/system-packages.sh

system-run:
	@bash .ci/system-packages.sh --run-only

posters: setup
	JUBAO_DATA_DIR=$(DATA) $(RUN) jubao posters defaults --out build/posters --dev-keys

site: setup posters
	$(RUN) mkdocs build --strict --quiet -f site/mkdocs.yml

serve: setup
	$(RUN) jubao serve --host 127.0.0.1 --port $(PORT) --data-dir $(DATA) --site-dir build/site --dev-roster

lint: setup ## ruff and mypy (strict) over all the code
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy functions jubao posters infra bench mutation tools
	MYPYPATH=site/hooks $(RUN) mypy site/hooks/jubao_hooks.py site/hooks/jubao_site

bench: setup system site
	$(RUN) python bench/run_all.py

mutation: setup ## mutation-test the security core (mutmut; ~30 min on 2 cores; not part of test)
	nice -n 19 $(RUN) python mutation/run.py

requirements: setup ## the Lambda's dependencies, exported from the lock
	$(UV) export --locked --no-default-groups --no-hashes --no-header --no-annotate --no-emit-project -o functions/requirements.txt

package: setup requirements ## both Lambda packages (SAM template + zip) in build/sam/{public,officer}
	$(RUN) python -m infra.package --out build/sam --stage prod

deploy: stage-given package ## the whole stack of STAGE in AWS_REGION (see README "Deploying to AWS")
	JUBAO_BUILD=production $(RUN) jubao posters defaults --out build/posters --no-previews
	JUBAO_BUILD=production $(RUN) mkdocs build --strict --quiet -f site/mkdocs.yml
	$(RUN) python -m infra.deploy deploy --stage $(STAGE) --site-dir build/site

destroy: stage-given setup ## delete STAGE's stacks; its data (storage stack) only with DESTROY_DATA=1
	$(RUN) python -m infra.deploy destroy --stage $(STAGE) $(if $(filter 1,$(DESTROY_DATA)),--destroy-data)

outputs: stage-given setup ## build/deploy/STAGE/outputs.json: the site's URL and API base, the functions' settings
	$(RUN) python -m infra.deploy outputs --stage $(STAGE)

plan-deploy: stage-given setup ## print the stacks make deploy would create, in order, with their parameters
	$(RUN) python -m infra.deploy plan --stage $(STAGE) --region $${AWS_REGION:-$${AWS_DEFAULT_REGION:-cn-north-1}}

stage-given:
	@test -n "$(STAGE)" || { echo "STAGE is required, e.g. make deploy STAGE=prod" >&2; exit 2; }

clean:
	rm -rf build .venv .tools .pytest_cache .mypy_cache .ruff_cache
