from tortoise import migrations
from tortoise.migrations import operations as ops
from models.clock import now
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0009_scheduler_lease')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TelegramSubscriptionToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('contact', fields.ForeignKeyField('voronka.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='telegram_subscription_tokens', on_delete=OnDelete.CASCADE)),
                ('order', fields.ForeignKeyField('voronka.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='telegram_subscription_tokens', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('voronka.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='telegram_subscription_tokens', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('consumed_chat_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'telegram_subscription_token', 'app': 'voronka', 'indexes': [Index(fields=['contact_id']), Index(fields=['order_id']), Index(fields=['created_by_id'])], 'pk_attr': 'id', 'table_description': 'A deep link token that subscribes a client to notifications in Telegram.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Interaction',
            name='outbound_message',
            field=fields.ForeignKeyField('voronka.OutboundMessage', source_field='outbound_message_id', null=True, db_constraint=True, to_field='id', related_name='interactions', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['outbound_message_id']),
        ),
    ]
