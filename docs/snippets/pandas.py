import json
from pathlib import Path

import pandas as pd

package = json.loads(Path("datapackage.json").read_text(encoding="utf-8"))

# Parquet keeps the column types (nullable integers stay integers):
tables = {Path(r["path"]).stem: pd.read_parquet(r["path"], dtype_backend="numpy_nullable")
          for r in package["resources"] if r["format"] == "parquet"}

# The CSVs, typed from their Table Schema ("" is a missing value):
PANDAS = {"integer": "Int64", "number": "Float64", "boolean": "boolean"}


def read_csv(resource):
    fields = resource["schema"]["fields"]
    return pd.read_csv(
        resource["path"], keep_default_na=False, na_values=[""],
        dtype={f["name"]: PANDAS.get(f["type"], "string") for f in fields if f["type"] != "date"},
        parse_dates=[f["name"] for f in fields if f["type"] == "date"])


csv_tables = {r["name"]: read_csv(r) for r in package["resources"] if r["format"] == "csv"}
print({name: df.shape for name, df in tables.items()})
