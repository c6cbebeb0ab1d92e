from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0015_campaigns')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EarlyReceipt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider_message_id', fields.CharField(max_length=255)),
                ('status', fields.CharField(max_length=16)),
                ('error_code', fields.CharField(default='', max_length=8)),
                ('error_message', fields.CharField(default='', max_length=500)),
                ('received_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'early_receipt', 'app': 'voronka', 'unique_together': (('provider_message_id', 'status'),), 'indexes': [Index(fields=['received_at'])], 'pk_attr': 'id', 'table_description': "A delivery receipt that came before the relay recorded its message's provider id."},
            bases=['Model'],
        ),
    ]
