"""Stage 5, release: ``diff`` two versions, the ``ledger`` of releases, the ``store`` (an
atomic, locked folder) and ``publish``.
"""
