#!/usr/bin/env python3
"""Reads every TRX file under a folder, lists failed tests, and prints 'N passed, N failed' (', N skipped').
Exits 1 when anything failed or no test ran at all."""
import glob
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
folder = sys.argv[1] if len(sys.argv) > 1 else "artifacts/test-results"
passed = failed = skipped = 0
failures = []
files = sorted(glob.glob(f"{folder}/**/*.trx", recursive=True))
for path in files:
    root = ET.parse(path).getroot()
    for r in root.iterfind(".//t:UnitTestResult", NS):
        outcome = r.get("outcome")
        if outcome == "Passed":
            passed += 1
        elif outcome == "NotExecuted":
            skipped += 1
        else:
            failed += 1
            msg = r.find(".//t:ErrorInfo/t:Message", NS)
            failures.append((r.get("testName"), (msg.text or "").strip().splitlines()[:3] if msg is not None else []))
for name, lines in failures:
    print(f"FAILED {name}")
    for line in lines:
        print(f"    {line}")
if not files:
    print("no test results found (did the test run crash?)")
    failed = max(failed, 1)
line = f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
print(line)
sys.exit(1 if failed or passed == 0 else 0)
