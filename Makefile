# The two Quickstart commands. Both set the machine up first (idempotent, quick when done).
.PHONY: run test lint

SAMPLE := samples/m_4709963_se_14_1_20200831.tif

run:  ## set up, then run the main job on the bundled sample scene
	@scripts/setup.sh
	.venv/bin/geomag scene $(SAMPLE)
	.venv/bin/geomag views $(SAMPLE) --granularity pixel

test:  ## set up (with test tools and the vLLM serving env), lint, type-check and run the tests
	@scripts/setup.sh dev
	@scripts/setup-vllm.sh
	@scripts/test.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
