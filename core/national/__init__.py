"""The national dataset: the whole profession and four programme years, synthetic and
deterministic per seed (`manage.py generate_national_dataset`, issue 14).

`core.national.shape` holds the sizes and distributions, `core.national.generator` the
steps that write them, `core.national.checks` the invariant checks run afterwards.
"""
