from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('voronka', '0017_template_content_variables')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='TelegramSubscriptionToken',
            options={'table': 'telegram_subscription_token', 'app': 'voronka', 'indexes': [Index(fields=['contact_id']), Index(fields=['order_id']), Index(fields=['created_by_id'])], 'pk_attr': 'id', 'table_description': 'A token that subscribes a client to notifications, in Telegram and in the client app.'},
        ),
        ops.AddField(
            model_name='TelegramSubscriptionToken',
            name='consumed_device_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='TelegramSubscriptionToken',
            name='device_consumed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
