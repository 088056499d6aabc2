#!/usr/bin/env bash
# The project's one test command (README: `make test`; CI: .ci/run). From a clean clone it:
#   1. builds the whole solution in Release (warnings are errors),
#   2. publishes every Native AOT program and fails on any trim/AOT warning,
#   3. runs every test project (moto_server is started by the tests themselves),
#   4. prints the failures and ends with the line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p artifacts
rm -rf artifacts/test-results

fail_setup() {
  echo "$1" >&2
  echo "0 passed, 1 failed"
  exit 1
}

echo "== build (Release, warnings as errors)"
dotnet build Serverless.sln -c Release -nologo -v:q 2>&1 | tee artifacts/build.log | grep -E "error|warning|Build succeeded|Elapsed" | head -50
[ "${PIPESTATUS[0]}" -eq 0 ] || fail_setup "build failed: see artifacts/build.log"

# Native AOT programs: project path -> output folder under artifacts/aot/. Each publish must show zero warnings.
aot_projects=(
  "tests/Serverless.AotSmoke/Serverless.AotSmoke.csproj smoke"
  "functions/Serverless.Functions.Reconcile/Serverless.Functions.Reconcile.csproj reconcile"
  "functions/Serverless.Functions.Replay/Serverless.Functions.Replay.csproj replay"
  "functions/Serverless.Functions.InstanceEvents/Serverless.Functions.InstanceEvents.csproj instance-events"
  "functions/Serverless.Functions.Webhook/Serverless.Functions.Webhook.csproj webhook"
  "functions/Serverless.Forwarder/Serverless.Forwarder.csproj forwarder"
)
for entry in "${aot_projects[@]}"; do
  set -- $entry
  echo "== Native AOT publish $1"
  log="artifacts/aot-publish-$2.log"
  dotnet publish "$1" -c Release -r linux-x64 -nologo -o "artifacts/aot/$2" >"$log" 2>&1
  status=$?
  warnings=$(grep -E ": (warning|error) (IL|CS|NU)[0-9]+" "$log" | sort -u | wc -l)
  if [ "$status" -ne 0 ] || [ "$warnings" -ne 0 ]; then
    grep -E ": (warning|error)" "$log" | sort -u | head -30
    fail_setup "AOT publish of $1 failed or warned ($warnings warnings): see $log"
  fi
  binary="artifacts/aot/$2/$(basename "$1" .csproj)"
  [ -f "$binary" ] || binary="artifacts/aot/$2/bootstrap"
  echo "   $(du -h "$binary" | cut -f1) binary, 0 trim/AOT warnings"
done

echo "== tests"
dotnet test Serverless.sln -c Release --no-build -nologo \
  --logger "trx;LogFilePrefix=results" --logger "console;verbosity=minimal" \
  --results-directory artifacts/test-results 2>&1 | tee artifacts/test.log | grep -vE "^\s*$" | tail -40
python3 tests/summarize-trx.py artifacts/test-results
