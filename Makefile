# Developer entry points. `make test` is the one test command (README, .ci/run).
.PHONY: test build generate

test:
	bash tests/run-all.sh

build:
	dotnet build Serverless.sln -c Release

# Regenerate the ELBv2 / Auto Scaling clients from botocore's service models (output is committed).
generate:
	python3 shared/Serverless.Aws/Generator/generate.py
