import json
from pathlib import Path

import duckdb

package = json.loads(Path("datapackage.json").read_text(encoding="utf-8"))
con = duckdb.connect()
for r in package["resources"]:
    if r["format"] == "parquet":  # one view per table, named after its file
        con.execute(f"CREATE VIEW \"{Path(r['path']).stem}\" AS "
                    f"SELECT * FROM read_parquet('{r['path']}')")

print(con.sql("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall())
tables = {name: con.sql(f'SELECT * FROM "{name}"').df() for (name,) in
          con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
