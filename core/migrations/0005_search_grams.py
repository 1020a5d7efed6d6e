"""search_grams(text): the characters and pairs of adjacent characters of a name (see
core.search)."""

from django.db import migrations

from core.constraints import RunPostgresSQL

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION search_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}') FROM (
        SELECT substr(value, i, 1) AS gram FROM generate_series(1, char_length(value)) AS i
        UNION ALL
        SELECT substr(value, i, 2) FROM generate_series(1, char_length(value) - 1) AS i
    ) AS grams
$$
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0004_import_record_confirmations")]

    operations = [
        RunPostgresSQL(CREATE_FUNCTION, "DROP FUNCTION IF EXISTS search_grams(text)"),
    ]
