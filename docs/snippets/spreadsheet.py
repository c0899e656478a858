# Every CSV is UTF-8 without a byte-order mark, comma-separated, RFC 4180 quoting, with
# a header row, and no cell starts like a formula. This checks all of that.
import csv
import json
from pathlib import Path

package = json.loads(Path("datapackage.json").read_text(encoding="utf-8"))
for r in package["resources"]:
    if r["format"] != "csv":
        continue
    raw = Path(r["path"]).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{r['path']}: has a byte-order mark"
    rows = list(csv.reader(raw.decode("utf-8").splitlines(keepends=True), strict=True))
    header = [f["name"] for f in r["schema"]["fields"]]
    assert rows[0] == header, f"{r['path']}: header is not the schema's fields"
    assert all(len(row) == len(header) for row in rows), f"{r['path']}: ragged rows"
    formulas = [c for row in rows for c in row if c[:1] in ("=", "+", "@", "\t")
                or (c[:1] == "-" and not c[1:2].isdigit())]
    assert not formulas, f"{r['path']}: cells a spreadsheet would run: {formulas[:3]}"
print("every CSV opens safely in a spreadsheet")
