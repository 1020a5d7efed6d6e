"""A GIN index on search_grams(UPPER(name)) for short name search (core.search)."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models

import core.search


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_search_grams"),
        ("lawyers", "0006_plausible_values"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lawyer",
            index=core.search.PostgresOnlyGinIndex(
                models.Func(
                    django.db.models.functions.text.Upper("name"),
                    function="search_grams",
                    output_field=django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), size=None
                    ),
                ),
                name="lawyer_name_grams_idx",
            ),
        ),
    ]
