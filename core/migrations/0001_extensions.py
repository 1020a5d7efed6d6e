"""PostgreSQL extensions the schema needs (no-ops on other databases):
btree_gist for exclusion constraints mixing = and &&, pg_trgm for name search."""

from django.contrib.postgres.operations import BtreeGistExtension, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [BtreeGistExtension(), TrigramExtension()]
