import factpack

# Checks every file against the sha256 in datapackage.json before reading it. The source
# is a package folder, a .zip, a URL, or a published NAME[@VERSION] (fetched and cached).
pkg = factpack.load(".")
tables = pkg.tables  # {"figures": polars.DataFrame, ...}, typed from the Table Schema
print(pkg.name, pkg.version, {name: df.shape for name, df in tables.items()})
frames = pkg.to_pandas()  # the same tables as pandas DataFrames
con = pkg.duckdb()  # DuckDB, one view per table over its Parquet file
