from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('voronka', '0005_list_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TelegramUpdate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bot_id', fields.BigIntField()),
                ('update_id', fields.BigIntField()),
                ('received_at', fields.DatetimeField(default=now, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'telegram_update', 'app': 'voronka', 'unique_together': (('bot_id', 'update_id'),), 'pk_attr': 'id', 'table_description': 'A webhook update already acted on, so that a redelivered one is not acted on twice.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='telegram_blocked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
