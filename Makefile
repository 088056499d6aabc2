# Developer entry points. `make test` is the one test command (README, .ci/run).
.PHONY: test build generate build-ReconcileFunction build-ReplayFunction build-InstanceEventsFunction build-ReadinessGateWebhookFunction

test:
	bash tests/run-all.sh

build:
	dotnet build Serverless.sln -c Release

# Regenerate the ELBv2 / Auto Scaling clients from botocore's service models (output is committed).
generate:
	python3 shared/Serverless.Aws/Generator/generate.py

# `sam build` (template.yaml: Metadata BuildMethod makefile) runs `make build-<LogicalId>` with ARTIFACTS_DIR set.
# Each target publishes the function with Native AOT and puts the `bootstrap` executable into ARTIFACTS_DIR.
# AOT_RID must match the template's Architecture parameter (x86_64: linux-x64, arm64: linux-arm64).
AOT_RID ?= linux-x64
ARTIFACTS_DIR ?= artifacts/sam

define publish_function
	dotnet publish functions/Serverless.Functions.$(1)/Serverless.Functions.$(1).csproj -c Release -r $(AOT_RID) -nologo -o artifacts/publish/$(1)
	mkdir -p "$(ARTIFACTS_DIR)"
	cp artifacts/publish/$(1)/bootstrap "$(ARTIFACTS_DIR)/bootstrap"
endef

build-ReconcileFunction:
	$(call publish_function,Reconcile)

build-ReplayFunction:
	$(call publish_function,Replay)

build-InstanceEventsFunction:
	$(call publish_function,InstanceEvents)

build-ReadinessGateWebhookFunction:
	$(call publish_function,Webhook)
