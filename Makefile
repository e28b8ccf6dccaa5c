# The two Quickstart commands. Both set the machine up first (idempotent, quick when done).
.PHONY: run test lint

SAMPLE := samples/m_4709963_se_14_1_20200831.tif

PORT ?= 8501

run:  ## set up, then start the analyst app on the bundled sample scene (http://127.0.0.1:$(PORT))
	@scripts/setup.sh
	.venv/bin/geomag app --scene $(SAMPLE) --port $(PORT)

test:  ## set up (with test tools and the vLLM serving env), lint, type-check and run the tests
	@scripts/setup.sh dev
	@scripts/setup-vllm.sh
	@scripts/test.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
