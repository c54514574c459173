"""audiorepro: the logic behind the workflow's rules, importable and unit-tested.

Rules run thin entry points in ``scripts/``; everything they do lives in this package.
"""
