"""Layer 3: the domain rules of the data model, each a function from the tables
(:class:`context.Context`) to error records, run by ``run.check_rules``: ``dates``,
``figures``, ``codes`` (ISO and BCP 47 code lists), ``sources`` (quotes found in the
archived texts, archive hashes) and ``records``.
"""
