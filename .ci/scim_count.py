"""Print how many Users and Groups a SCIM server holds: `USERS GROUPS`.

Usage: python3 scim_count.py BASE_URL TOKEN
"""
import json
import sys
import urllib.request

base, token = sys.argv[1].rstrip("/"), sys.argv[2]
counts = []
for endpoint in ("Users", "Groups"):
    req = urllib.request.Request(
        f"{base}/{endpoint}?count=0",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        counts.append(str(json.load(resp)["totalResults"]))
print(" ".join(counts))
