"""factpack: publish hand-checked records as versioned, validated Frictionless data packages."""

__version__ = "0.1.0"
