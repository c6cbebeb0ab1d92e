from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# The full-text index lives beside the table and differs per dialect (ADR 0010). The SQL is kept
# here, not imported, so this migration means the same thing whatever the code becomes later.
SQLITE_FTS = """
CREATE VIRTUAL TABLE search_fts USING fts5(
    document, content='search_entry', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN
    INSERT INTO search_fts(rowid, document) VALUES (new.id, new.document);
END;
CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN
    INSERT INTO search_fts(search_fts, rowid, document) VALUES ('delete', old.id, old.document);
END;
CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN
    INSERT INTO search_fts(search_fts, rowid, document) VALUES ('delete', old.id, old.document);
    INSERT INTO search_fts(rowid, document) VALUES (new.id, new.document);
END;
"""
SQLITE_DROP = """
DROP TRIGGER IF EXISTS search_entry_au;
DROP TRIGGER IF EXISTS search_entry_ad;
DROP TRIGGER IF EXISTS search_entry_ai;
DROP TABLE IF EXISTS search_fts;
"""
POSTGRES_GIN = (
    "CREATE INDEX search_entry_document_fts ON search_entry "
    "USING GIN (to_tsvector('simple', document))"
)
POSTGRES_DROP = "DROP INDEX IF EXISTS search_entry_document_fts"


async def create_fulltext_index(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(SQLITE_FTS)
    else:
        await client.execute_script(POSTGRES_GIN)


async def drop_fulltext_index(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(SQLITE_DROP)
    else:
        await client.execute_script(POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [('voronka', '0003_telegram_link')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SearchEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entity', fields.CharField(max_length=16)),
                ('entity_id', fields.IntField()),
                ('document', fields.TextField(unique=False)),
            ],
            options={'table': 'search_entry', 'app': 'voronka', 'unique_together': (('entity', 'entity_id'),), 'pk_attr': 'id', 'table_description': 'The words a record is found by. Full-text indexed per dialect: an FTS5 table on SQLite,'},
            bases=['Model'],
        ),
        ops.RunPython(create_fulltext_index, drop_fulltext_index),
    ]
