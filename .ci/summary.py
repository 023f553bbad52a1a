"""Print a short summary of a scimitar JSON report, one line per non-passing case."""
import json
import sys

report = json.load(open(sys.argv[1]))
s = report["summary"]
print(f"{report['target']}: {s['total']} cases, {s['passed']} passed, {s['failed']} failed "
      f"({s['warnings']} warnings), {s['skipped']} skipped, {s['errored']} errored; "
      f"cleanup created {report['cleanup']['created']}, deleted {report['cleanup']['deleted']}, "
      f"left {len(report['cleanup']['leftover'])}")
for c in report["cases"]:
    if c["status"] != "passed":
        where = ", ".join(c["sections"])
        print(f"  {c['status']:8} {c['level']:6} {c['id']} ({where}): {c['message']}")
