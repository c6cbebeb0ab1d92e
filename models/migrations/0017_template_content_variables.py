from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('voronka', '0016_early_receipts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Template',
            name='content_variables',
            field=fields.JSONField(default=dict, db_default={}, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
