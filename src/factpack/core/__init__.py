"""Shared by every stage: error records and codes, the path policy, the file hasher,
version numbers, atomic writes, reading a store (file or http(s)) and unpacking a zip
safely. Imports nothing else of factpack.
"""
