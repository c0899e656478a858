"""Layer 3: the domain rules of the data model, each a function from the tables to error
records, run by ``check_rules``.
"""
