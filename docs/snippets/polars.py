import json
from pathlib import Path

import polars as pl

package = json.loads(Path("datapackage.json").read_text(encoding="utf-8"))
tables = {Path(r["path"]).stem: pl.read_parquet(r["path"])
          for r in package["resources"] if r["format"] == "parquet"}
print({name: df.shape for name, df in tables.items()})

