"""Stage 1, load: read descriptors (JSON as JSON, YAML as YAML, with line numbers) into the
``spec`` models, and turn a target (dataset, package, schema, CSV) into a loaded package.
"""
