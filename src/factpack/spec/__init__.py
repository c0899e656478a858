"""The Frictionless specs as strict pydantic models (``models``), the field-type registry
(``fieldtypes``), and the catalog and citation models. Imports only ``core``.
"""
